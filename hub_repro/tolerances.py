"""Every tolerance hub_repro compares with, and its reason.

float32 has a 2^-24 ~ 6e-8 relative rounding step (an ulp). Two computations of the same function
in float32 that sum in another order (another kernel, batch shape, graph or framework) differ by a
few ulps per sum, and those grow with the number of terms and of layers. Each tolerance below sits
above what that rounding gives, with a margin, and far below what a real difference gives.
"""

# pooled_output against its rebuilt explanation, tanh(x K + b) on sequence_output[:, 0]. The same
# arithmetic in another summation order moves each pre-activation by up to ~sqrt(H) ulps of its
# magnitude: ~2e-6 for H = 768 and |x K| ~ 1; tanh' <= 1 does not enlarge that. 1e-5 leaves a 5x
# margin at H = 768 and stays four orders of magnitude below the gap to sequence_output[:, 0]
# (0.1 to 10), so no "almost" pooler can pass.
POOLER_TOLERANCE = 1e-5

# --full: a whole forward pass rebuilt, against the model's outputs on real tokens. Every layer
# adds a few ulps (einsum vs matmul, oneDNN blocking, XLA's fusion) and LayerNorm rescales them:
# 1e-6 on the 2-layer fixtures, 2.2e-6 on the 6-layer embedded model (values up to 6), ~1e-5 at
# BERT-base size. 1e-4 keeps a wide margin yet is far below a wrong gelu form (0.1 on the
# embedded model) or a wrong head split (5.7).
FULL_TOLERANCE = 1e-4

# --full's search for heads and gelu: a rival "fits" as well as the best when its error on the
# search examples is within 10x of the best's, or below this: float32 rounding of a whole forward
# pass on two short examples (4e-7 on the tiny fixtures, 2e-6 on all-MiniLM-L6-v2, 3e-6 at
# BERT-base size). Then the numbers cannot tell the two apart, and the report says so.
SEARCH_FIT = 2e-5

# Two implementations (crosscheck) or two copies (diff) of one model on the same inputs: another
# graph (einsum vs reshape + matmul), LayerNorm kernel or softmax mask (-1e9 vs -10000, both exp()
# to exactly 0). The gap grows with the model: 9.5e-7 on the tiny Google fixture (H=32, 2 layers),
# 3.8e-6 on all-MiniLM-L6-v2 (H=384, 6 layers), 1.44e-5 at BERT-base size on 512-token inputs.
# 5e-5 keeps a 3x margin there (tests/test_base_size.py asserts it) and stays below what it must
# catch: a wrong head count (1.2e-4 even on the tiny fixture's nearly uniform attention, ~1 on
# trained weights), the other gelu form (5e-4 on the tiny fixtures), a transposed kernel (~0.5).
FLOAT32_TOLERANCE = 5e-5

# keras-hub's BertBackbone hard-codes the tanh-approximate gelu. On a model trained with the erf
# gelu (all-MiniLM-L6-v2) each feed-forward activation then moves by up to max |gelu_tanh(x) -
# gelu_erf(x)| = 4.7e-4 (at |x| = 2.7), and L layers carry that on: 3.1e-4 (pooled) / 9.9e-3
# (sequence) on 128 varied sentences, while a control run with the erf gelu is at 3e-7 / 4e-6.
# 5e-2 bounds it with a 5x margin and stays 30x below a real defect on a trained model (a wrong
# head count moves sequence_output by 1.7).
GELU_MISMATCH_TOLERANCE = 5e-2

# diff of weights: copies of float32 weights are bit-exact, so any difference is named.
WEIGHT_TOLERANCE = 0.0
