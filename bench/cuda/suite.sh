# The ten-pattern suite's build ids (bench/cuda/suite.ts), for the GPU scripts: `. bench/cuda/suite.sh`.
SUITE=causal,sw1024_causal,sw1024_bidir,sink4_sw1024_causal,dilated_w2048_d2_causal,chunk2048,strided128_causal,longformer_w512_g16,document_causal,natten2d_k13
