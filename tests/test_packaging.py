"""hub_repro is a package: pyproject.toml, the editable install `make` does, the console script, and
the Makefile's stamps (a reinstall only when a requirements file or pyproject.toml changed; torch
only for `make test`)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata

import pytest
import tensorflow as tf

import testutil

REPO = os.path.dirname(testutil.TESTS)
CONSOLE_SCRIPT = os.path.join(os.path.dirname(sys.executable), "hub-repro")


def requirement_lines(name: str) -> list[str]:
  """The requirement lines of a requirements file, comments and blanks left out."""
  with open(os.path.join(REPO, name), encoding="utf-8") as f:
    lines = [line.split("#", 1)[0].strip() for line in f]
  return [line for line in lines if line]


def run_outside_the_repo(argv, **kwargs):
  """Runs `argv` in an empty temporary folder without PYTHONPATH: only an install can find
  hub_repro there."""
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
  with tempfile.TemporaryDirectory() as cwd:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          **kwargs)


class PyprojectTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
      self.pyproject = tomllib.load(f)

  def test_declares_name_script_python_and_backend(self):
    project = self.pyproject["project"]
    self.assertEqual(project["name"], "hub-repro")
    self.assertEqual(project["scripts"], {"hub-repro": "hub_repro.cli:console"})
    self.assertIn(">=3.11", project["requires-python"])
    self.assertEqual(self.pyproject["build-system"]["build-backend"], "setuptools.build_meta")

  def test_dependencies_are_the_requirements_files(self):
    dynamic = self.pyproject["tool"]["setuptools"]["dynamic"]
    self.assertEqual(dynamic["dependencies"], {"file": ["requirements.txt"]})
    self.assertEqual(dynamic["optional-dependencies"]["test"], {"file": ["requirements-test.txt"]})

  def test_installed_metadata_pins_exactly_requirements_txt(self):
    try:
      requires = metadata.requires("hub-repro")
    except metadata.PackageNotFoundError:
      self.fail("hub-repro is not installed in this environment; `make` installs it "
                "(pip install --no-deps -e .)")
    self.assertEqual(metadata.version("hub-repro"), self.pyproject_version())
    runtime = sorted(r for r in requires if "extra ==" not in r)
    pins = sorted(requirement_lines("requirements.txt"))
    self.assertEqual([re.sub(r"\s+", "", r) for r in runtime], pins)
    for pin in pins:
      self.assertRegex(pin, r"^[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*$", msg="pinned exactly")

  def pyproject_version(self):
    from hub_repro import __version__
    return __version__


class InstalledTest(tf.test.TestCase):
  """`python -m hub_repro` and `hub-repro` from a folder that is not the repository."""

  def test_python_m_hub_repro_from_another_folder(self):
    result = run_outside_the_repo([sys.executable, "-m", "hub_repro", "--help"])
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    self.assertIn("usage: hub_repro", result.stdout)

  def test_import_is_the_repository_itself(self):
    result = run_outside_the_repo([sys.executable, "-c",
                                   "import hub_repro; print(hub_repro.__file__)"])
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    # Editable: the notebooks and `python -m` see the working tree, not a copy made at install.
    self.assertEqual(os.path.realpath(os.path.dirname(result.stdout.strip())),
                     os.path.realpath(os.path.join(REPO, "hub_repro")))

  def test_console_script(self):
    self.assertTrue(os.access(CONSOLE_SCRIPT, os.X_OK), f"{CONSOLE_SCRIPT} is not installed")
    result = run_outside_the_repo([CONSOLE_SCRIPT, "--version"])
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    self.assertRegex(result.stdout, r"^hub_repro \d+\.\d+\.\d+")
    # main()'s code is the process's exit code: a bad argument is 2, before TensorFlow loads.
    result = run_outside_the_repo([CONSOLE_SCRIPT, "--max-seq-length", "many"])
    self.assertEqual(result.returncode, 2, msg=result.stderr)
    self.assertIn("invalid int value: 'many'", result.stderr)


class TestRequirementsTest(tf.test.TestCase):

  def test_pins_torch_transformers_hypothesis_and_keeps_pkg_resources(self):
    lines = requirement_lines("requirements-test.txt")
    self.assertIn("torch==2.13.0", lines)
    self.assertIn("setuptools<81", lines)
    for name in ("transformers", "hypothesis"):
      self.assertTrue(any(re.fullmatch(rf"{name}==[0-9.]+", line) for line in lines),
                      msg=f"{name} is not pinned exactly in requirements-test.txt: {lines}")
    self.assertNotIn("torch", " ".join(requirement_lines("requirements.txt")))

  def test_installed_setuptools_still_has_pkg_resources(self):
    # tensorflow_hub 0.16.1 imports pkg_resources, which setuptools 81+ dropped.
    self.assertLess(int(metadata.version("setuptools").split(".")[0]), 81)


class MakefileTest(tf.test.TestCase):
  """`make -n` (print, do not run) on a copy of the Makefile whose stamps are up to date."""

  def setUp(self):
    super().setUp()
    if shutil.which("make") is None:
      self.skipTest("make is not installed")
    self.folder = os.path.join(self.get_temp_dir(), "make")
    os.makedirs(os.path.join(self.folder, ".venv", "bin"))
    for name in ("Makefile", "requirements.txt", "requirements-embedded.txt",
                 "requirements-test.txt", "pyproject.toml"):
      shutil.copy(os.path.join(REPO, name), self.folder)
      os.utime(os.path.join(self.folder, name), (1_000_000_000, 1_000_000_000))
    python = os.path.join(self.folder, ".venv", "bin", "python")
    with open(python, "w") as f:
      f.write("#!/bin/sh\n")
    os.chmod(python, 0o755)
    for stamp in (".installed", ".installed-test"):
      with open(os.path.join(self.folder, ".venv", stamp), "w"):
        pass

  def dry_run(self, target, *changed):
    argv = ["make", "-n", "-C", self.folder, target] + [f"--what-if={name}" for name in changed]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    return [line for line in result.stdout.splitlines() if "pip install" in line]

  def test_nothing_is_installed_when_nothing_changed(self):
    self.assertEqual(self.dry_run("repro"), [])
    self.assertEqual(self.dry_run("test"), [])

  def test_pyproject_and_requirements_reinstall_the_editable_package(self):
    for changed in ("pyproject.toml", "requirements.txt", "requirements-embedded.txt"):
      installs = self.dry_run("repro", changed)
      self.assertTrue(any(re.search(r"pip install .*-r requirements\.txt", line)
                          for line in installs), msg=(changed, installs))
      self.assertTrue(any(re.search(r"pip install .*--no-deps -e \.$", line)
                          for line in installs), msg=(changed, installs))

  def test_repro_never_installs_the_test_requirements(self):
    for changed in ((), ("requirements.txt",), ("requirements-test.txt",)):
      installs = self.dry_run("repro", *changed)
      self.assertFalse([line for line in installs if "requirements-test.txt" in line],
                       msg=installs)

  def test_test_requirements_in_one_pip_command_with_the_pins_as_constraints(self):
    installs = self.dry_run("test", "requirements-test.txt")
    self.assertLen(installs, 1, msg=installs)  # only the test requirements, not the whole venv
    self.assertRegex(installs[0], r"pip install .*-r requirements-test\.txt -c requirements\.txt")


def build_wheel(out_dir: str) -> str:
  """`pip wheel .` of the repository (no build isolation: the venv's setuptools, no download)."""
  subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                  "--no-build-isolation", "--wheel-dir", out_dir, REPO],
                 check=True, capture_output=True, text=True, timeout=300)
  (wheel,) = [name for name in os.listdir(out_dir) if name.endswith(".whl")]
  return os.path.join(out_dir, wheel)


class WheelTest(tf.test.TestCase):
  """A real wheel (`pip install .`, `pip install git+...`) holds every module of the package."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.wheel_dir = tempfile.mkdtemp(prefix="hub_repro_wheel_")
    cls.wheel = build_wheel(cls.wheel_dir)

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.wheel_dir, ignore_errors=True)
    super().tearDownClass()

  def test_the_wheel_holds_every_module(self):
    import zipfile
    with zipfile.ZipFile(self.wheel) as wheel:
      packed = {name for name in wheel.namelist() if name.endswith(".py")}
    in_tree = {os.path.relpath(os.path.join(folder, name), REPO)
               for folder, _, names in os.walk(os.path.join(REPO, "hub_repro"))
               for name in names if name.endswith(".py")}
    self.assertIn("hub_repro/sources/tf1_hub.py", in_tree)
    self.assertEqual(in_tree - packed, set(), "modules missing from the wheel")

  @pytest.mark.slow
  def test_installed_non_editable_into_a_fresh_venv_it_runs_a_check(self):
    """A fresh venv gets the wheel (not editable); its dependencies come from this venv's
    site-packages through a path entry (a .pth line), which adds no editable finder: only the wheel
    can give `hub_repro` there."""
    venv = os.path.join(self.wheel_dir, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    fresh_python = os.path.join(venv, "bin", "python")
    site = subprocess.run([fresh_python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True).stdout
    ours = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True).stdout
    install = run_outside_the_repo([fresh_python, "-m", "pip", "install", "--quiet", "--no-deps",
                                    "--no-index", self.wheel])
    self.assertEqual(install.returncode, 0, msg=install.stderr)
    # After the install: with this venv's editable hub-repro metadata in view, pip would take the
    # wheel's package as installed already.
    with open(os.path.join(site.strip(), "dependencies.pth"), "w", encoding="utf-8") as f:
      f.write(ours.strip() + "\n")

    where = run_outside_the_repo([fresh_python, "-c", "import hub_repro.sources.tf1_hub as m; "
                                  "print(m.__file__)"])
    self.assertEqual(where.returncode, 0, msg=where.stderr)
    self.assertTrue(where.stdout.strip().startswith(os.path.realpath(site.strip())) or
                    where.stdout.strip().startswith(site.strip()), where.stdout)
    script = os.path.join(venv, "bin", "hub-repro")
    result = run_outside_the_repo([script, "--help"])
    self.assertEqual(result.returncode, 0, msg=result.stderr)
    self.assertIn("usage: hub_repro", result.stdout)
    result = run_outside_the_repo([script, "--handle", testutil.GOOGLE_MODULE, "hello world"])
    self.assertEqual(result.returncode, 0, msg=result.stdout + result.stderr)
    self.assertIn("Verdict: REPRODUCED", result.stdout)


if __name__ == "__main__":
  tf.test.main()
