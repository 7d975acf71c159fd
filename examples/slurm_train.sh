#!/bin/bash
# Train StyleGAN2 config F on 1024x1024 faces on a Slurm cluster with gan_helpers and torchrun.
#
#   sbatch examples/slurm_train.sh                        # 1 node x 8 GPUs (the default below)
#   sbatch --nodes=2 examples/slurm_train.sh              # 2 nodes x 8 GPUs, same script
#   DATA=folder:/scratch/ffhq BATCH=64 sbatch --nodes=2 examples/slurm_train.sh
#
# Slurm starts one task per node; on each node torchrun starts one training process per GPU
# (LOCAL_RANK 0..7 -> cuda:0..7) and the nodes meet at the first node's rendezvous endpoint.
# gan_helpers joins the process group from torchrun's environment (NCCL on GPUs), splits
# --batch-size over all processes, and writes samples and checkpoints from rank 0 only.
# --resume makes the job restartable: a requeued or resubmitted job continues from
# $OUT/checkpoint.pt with the same batches (and, on the same number of GPUs, the same noise).
#
#SBATCH --job-name=gan-stylegan2
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=8
#SBATCH --cpus-per-task=32
#SBATCH --mem=0
#SBATCH --time=2-00:00:00
#SBATCH --requeue
#SBATCH --output=%x-%j.out

set -euo pipefail

DATA=${DATA:-folder:/data/ffhq}          # a folder of face images (any size; resized to 1024x1024)
OUT=${OUT:-runs/ffhq-1024}               # must be on a file system rank 0 can write
BATCH=${BATCH:-32}                       # global batch, the paper's 32: 4 per GPU on 8 GPUs
STEPS=${STEPS:-781250}                   # 25,000 kimg / 32 images per step, as in the paper
PRECISION=${PRECISION:-bf16}             # bf16 on A100/H100; use fp32 on V100 (no bf16)
GPUS_PER_NODE=${SLURM_GPUS_ON_NODE:-8}
HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)

export OMP_NUM_THREADS=$(( ${SLURM_CPUS_PER_TASK:-32} / GPUS_PER_NODE ))

srun --kill-on-bad-exit=1 torchrun \
    --nnodes="$SLURM_JOB_NUM_NODES" \
    --nproc_per_node="$GPUS_PER_NODE" \
    --rdzv_id="$SLURM_JOB_ID" \
    --rdzv_backend=c10d \
    --rdzv_endpoint="$HEAD_NODE:29500" \
    -m gan_helpers train \
        --model stylegan2 --preset config-f \
        --data "$DATA" --resolution 1024 \
        --batch-size "$BATCH" --steps "$STEPS" \
        --precision "$PRECISION" \
        --sample-every 1000 --checkpoint-every 1000 \
        --out "$OUT" --resume --no-progress
