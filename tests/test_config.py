import json
import os

import tensorflow as tf

from hub_repro.config import BertConfig
import testutil


class BertConfigTest(tf.test.TestCase):

  def test_json_round_trip(self):
    config = BertConfig.from_json_file(testutil.TINY_CONFIG)
    path = os.path.join(self.get_temp_dir(), "bert_config.json")
    config.to_json_file(path)
    self.assertEqual(BertConfig.from_json_file(path), config)
    with open(testutil.TINY_CONFIG) as f:
      self.assertEqual(json.loads(config.to_json_string()), json.load(f))

  def test_heads_must_divide_hidden_size(self):
    with self.assertRaisesRegex(ValueError, r"hidden_size \(32\) is not a multiple of "
                                r"num_attention_heads \(5\)"):
      BertConfig(vocab_size=99, hidden_size=32, num_attention_heads=5)

  def test_a_dropout_that_is_not_a_number_is_bad_input(self):
    # A preset's config.json may hold anything under "dropout" (a serialized layer, say): that is
    # a config error (exit 2), not an internal one.
    from hub_repro import errors

    with self.assertRaisesRegex(errors.ConfigError, r"hidden_dropout_prob must be in \[0, 1\)"):
      BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2,
                 hidden_dropout_prob={"class_name": "Lambda"})

  def test_unknown_key_is_named(self):
    with self.assertRaisesRegex(ValueError, r"unknown BertConfig keys \['hiden_size'\]"):
      BertConfig.from_dict({"vocab_size": 99, "hiden_size": 32})

  def test_hugging_face_gelu_is_the_erf_form(self):
    base = {"model_type": "bert", "vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 37, "layer_norm_eps": 1e-12}
    self.assertEqual(BertConfig.from_hf_dict({**base, "hidden_act": "gelu"}).hidden_act,
                     "gelu_exact")
    self.assertEqual(BertConfig.from_hf_dict({**base, "hidden_act": "gelu_new"}).hidden_act,
                     "gelu")
    with self.assertRaisesRegex(ValueError, "layer_norm_eps is 1e-05"):
      BertConfig.from_hf_dict({**base, "layer_norm_eps": 1e-5})


if __name__ == "__main__":
  tf.test.main()
