"""A browser check of the notebooks, run by hand (not by `make test`): what a reader gets from `make lab`.

    .venv/bin/pip install -r requirements-browser.txt -c requirements.txt
    apt-get install -y chromium chromium-driver
    .venv/bin/python tests/browser_check.py [--out docs/screenshots] [NOTEBOOK ...]

Starts `make lab` on a free port of 127.0.0.1 with a token of its own, opens each notebook (default:
every notebooks/*.ipynb) in headless Chromium driven by selenium through Debian's
/usr/bin/chromedriver (selenium downloads nothing), runs all cells from JupyterLab's menu
(Run > Run All Cells), waits until every code cell has run and the kernel is idle, checks that no
cell raised and that a figure is shown, and saves a screenshot per notebook (scrolled to its first
figure) as a small PNG. Autosave is off and the notebook files are checked unchanged afterwards:
the committed notebooks are `make notebooks`' job. Exits 0 if every notebook ran, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(REPO, "notebooks")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1200,900"]
START_TIMEOUT_S = 120  # make lab: the venv is up to date, JupyterLab starts in a few seconds
RUN_TIMEOUT_S = 600  # Run All Cells of one notebook: under a minute on 2 cores
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def sha256(path: str) -> str:
  with open(path, "rb") as f:
    return hashlib.sha256(f.read()).hexdigest()


@contextlib.contextmanager
def lab_server(port: int, token: str, log_path: str):
  """`make lab` on `port` in its own process group, stopped (that group only) on exit."""
  settings = tempfile.mkdtemp(prefix="hub_repro_lab_settings_")
  docmanager = os.path.join(settings, "@jupyterlab", "docmanager-extension")
  os.makedirs(docmanager)
  with open(os.path.join(docmanager, "plugin.jupyterlab-settings"), "w", encoding="utf-8") as f:
    json.dump({"autosave": False}, f)  # never write the committed notebooks
  notebook = os.path.join(settings, "@jupyterlab", "notebook-extension")
  os.makedirs(notebook)
  with open(os.path.join(notebook, "tracker.jupyterlab-settings"), "w", encoding="utf-8") as f:
    json.dump({"windowingMode": "none"}, f)  # every cell in the page, not only those in view
  announcements = os.path.join(settings, "@jupyterlab", "apputils-extension")
  os.makedirs(announcements)
  with open(os.path.join(announcements, "notification.jupyterlab-settings"), "w",
            encoding="utf-8") as f:
    json.dump({"fetchNews": "false", "checkForUpdates": False}, f)  # no news toast, no network
  env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=settings,
             JUPYTERLAB_WORKSPACES_DIR=tempfile.mkdtemp(prefix="hub_repro_lab_workspaces_"))
  env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a reader's shell: quiet_tensorflow mutes TensorFlow
  log = open(log_path, "w", encoding="utf-8")  # closed below
  process = subprocess.Popen(
      ["make", "--no-print-directory", "lab", f"PORT={port}",
       f"LAB_ARGS=--IdentityProvider.token={token}"],
      cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
  try:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
      if process.poll() is not None:
        raise RuntimeError(f"make lab exited with {process.returncode}; see {log_path}")
      try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}",
                                    timeout=5):
          break
      except OSError:
        if time.monotonic() > deadline:
          raise RuntimeError(f"JupyterLab did not answer on port {port} in {START_TIMEOUT_S} s; "
                             f"see {log_path}") from None
        time.sleep(1)
    yield process
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(process.pid, signal.SIGTERM)  # the group make lab started: make and JupyterLab
    try:
      process.wait(timeout=30)
    except subprocess.TimeoutExpired:
      os.killpg(process.pid, signal.SIGKILL)
      process.wait()
    log.close()


def chromium(user_data_dir: str) -> webdriver.Chrome:
  options = webdriver.ChromeOptions()
  options.binary_location = CHROMIUM
  for flag in CHROMIUM_FLAGS + [f"--user-data-dir={user_data_dir}"]:
    options.add_argument(flag)
  return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def click_menu(driver, menu: str, item: str) -> None:
  """JupyterLab's menu bar: `menu` > `item`, by their labels."""
  driver.find_element(
      By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')][.//*[text()='{menu}']]").click()
  WebDriverWait(driver, 10).until(expected_conditions.element_to_be_clickable(
      (By.XPATH, f"//li[contains(@class,'lm-Menu-item')][.//*[text()='{item}']]"))).click()


def kernels(port: int, token: str) -> list[dict]:
  with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernels?token={token}",
                              timeout=10) as response:
    return json.load(response)


def kernel_states(port: int, token: str) -> list[str]:
  return [kernel["execution_state"] for kernel in kernels(port, token)]


def shut_down_kernels(port: int, token: str) -> None:
  """Every kernel of this check's own JupyterLab, through its REST API."""
  for kernel in kernels(port, token):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
    urllib.request.urlopen(request, timeout=30).close()


def run_notebook(driver, port: int, token: str, name: str, screenshot: str) -> dict:
  """Opens `name`, runs all its cells, waits for the kernel, checks, screenshots. Returns numbers."""
  # reset: a workspace of this notebook alone, not the tabs the previous one left open.
  driver.get(f"http://127.0.0.1:{port}/lab/tree/{name}?reset&token={token}")
  wait = WebDriverWait(driver, 120)
  wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook")))
  # The kernel hub-repro is up when the toolbar names it and says Idle.
  wait.until(lambda d: "hub_repro (.venv)" in d.find_element(
      By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar").text)
  wait.until(lambda _: kernel_states(port, token) == ["idle"])
  code_cells = len(driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell"))
  # Clear the stored outputs first, so that what is on the page after the run came from this run.
  click_menu(driver, "Edit", "Clear Outputs of All Cells")
  WebDriverWait(driver, 30).until(
      lambda d: not d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))
  start = time.monotonic()
  click_menu(driver, "Run", "Run All Cells")

  def done(d) -> bool:
    if d.find_elements(By.CSS_SELECTOR, ERROR_OUTPUT):
      return True  # a cell raised: Run All Cells stops there
    prompts = [p.text for p in d.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]
    ran = [p for p in prompts if p.strip() not in ("[ ]:", "[*]:", "")]
    return len(ran) == code_cells and kernel_states(port, token) == ["idle"]

  WebDriverWait(driver, RUN_TIMEOUT_S, poll_frequency=1).until(done)
  seconds = time.monotonic() - start
  errors = driver.find_elements(By.CSS_SELECTOR, ERROR_OUTPUT)
  figures = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
  if figures:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", figures[0])
    time.sleep(1)  # let the notebook's virtual scrolling render around it
  image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
  image.quantize(colors=128).save(screenshot, optimize=True)  # a small PNG for the repository
  return {"notebook": name, "code_cells": code_cells, "run_all_s": round(seconds, 1),
          "errors": len(errors), "figures": len(figures), "screenshot": screenshot,
          "screenshot_kib": round(os.path.getsize(screenshot) / 1024)}


def main(argv: list[str]) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("notebooks", nargs="*", help="file names in notebooks/ (default: all)")
  parser.add_argument("--out", default=os.path.join(REPO, "docs", "screenshots"),
                      help="folder of the screenshots (default: docs/screenshots)")
  args = parser.parse_args(argv)
  names = args.notebooks or sorted(n for n in os.listdir(NOTEBOOKS) if n.endswith(".ipynb"))
  os.makedirs(args.out, exist_ok=True)
  before = {name: sha256(os.path.join(NOTEBOOKS, name)) for name in names}
  port, token = free_port(), secrets.token_hex(16)
  log_path = os.path.join(tempfile.mkdtemp(prefix="hub_repro_lab_"), "lab.log")
  print(f"make lab on 127.0.0.1:{port} (log {log_path})")
  results, failed = [], False
  with lab_server(port, token, log_path):
    for name in names:  # a fresh browser (profile) and kernel per notebook
      screenshot = os.path.join(args.out, os.path.splitext(name)[0] + ".png")
      with tempfile.TemporaryDirectory() as profile:
        driver = chromium(profile)
        try:
          result = run_notebook(driver, port, token, name, screenshot)
        except Exception as e:  # noqa: BLE001 (one notebook's failure is reported, the rest run)
          result = {"notebook": name, "failure": f"{type(e).__name__}: {e}".strip()}
          driver.save_screenshot(screenshot)
        finally:
          driver.quit()
          shut_down_kernels(port, token)
      failed |= "failure" in result or result["errors"] > 0 or result["figures"] == 0
      results.append(result)
      print(json.dumps(result))
  for name, digest in before.items():
    if sha256(os.path.join(NOTEBOOKS, name)) != digest:
      print(f"notebooks/{name} was written during the check; git diff it", file=sys.stderr)
      failed = True
  print("FAILED" if failed else f"OK: {len(results)} notebooks ran in JupyterLab without errors")
  return 1 if failed else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
