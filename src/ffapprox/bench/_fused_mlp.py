"""A fused Triton kernel for the one-hidden-layer approximation, for the GPU benchmark.

Both layers run in one kernel: each program loads a block of input rows, keeps the hidden
layer in registers and writes only the outputs, so memory traffic is the input and output
bytes alone -- the roofline's assumption. Evaluated through :func:`fused_forward`; used
by the benchmark only, and only where Triton and CUDA are present.
"""

from __future__ import annotations

import torch

BLOCK_ROWS = 256


def _padded(size: int) -> int:
    return max(16, 1 << (size - 1).bit_length())


def _kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def mlp2(
        x_ptr, w1_ptr, b1_ptr, w2_ptr, b2_ptr, out_ptr, n_rows,
        N_IN: tl.constexpr, N_OUT: tl.constexpr, IN_PAD: tl.constexpr, HID_PAD: tl.constexpr,
        OUT_PAD: tl.constexpr, BLOCK: tl.constexpr, IEEE: tl.constexpr,
    ):  # fmt: skip
        rows = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        k, h, o = tl.arange(0, IN_PAD), tl.arange(0, HID_PAD), tl.arange(0, OUT_PAD)
        row_ok = rows < n_rows
        x = tl.load(
            x_ptr + rows[:, None] * N_IN + k[None, :],
            mask=row_ok[:, None] & (k[None, :] < N_IN),
            other=0.0,
        )
        w1 = tl.load(w1_ptr + k[:, None] * HID_PAD + h[None, :])
        w2 = tl.load(w2_ptr + h[:, None] * OUT_PAD + o[None, :])
        if IEEE:
            hidden = tl.dot(x, w1, input_precision="ieee")
        else:
            hidden = tl.dot(x, w1)
        hidden = tl.maximum(hidden + tl.load(b1_ptr + h)[None, :], 0.0)
        if IEEE:
            y = tl.dot(hidden, w2, input_precision="ieee")
        else:
            y = tl.dot(hidden.to(w2.dtype), w2)
        y = tl.maximum(y + tl.load(b2_ptr + o)[None, :], 0.0)
        tl.store(
            out_ptr + rows[:, None] * N_OUT + o[None, :],
            y.to(out_ptr.dtype.element_ty),
            mask=row_ok[:, None] & (o[None, :] < N_OUT),
        )

    return mlp2, triton.cdiv


def fused_forward(model, dtype: torch.dtype):
    """A function ``inputs (B, n_in) -> outputs (B, n_out)`` running ``model`` fused.

    ``dtype`` float32 computes in IEEE float32 (no TF32); float16 multiplies in half
    precision with float32 accumulation. Raises ``RuntimeError`` when the model is not a
    one-hidden-layer CUDA model or Triton is missing.
    """
    if len(model.layers) != 2:
        raise RuntimeError(f"the fused kernel needs one hidden layer, got {model.hidden}")
    device = model.layers[0].weight.device
    if device.type != "cuda":
        raise RuntimeError("the fused kernel runs on CUDA only")
    kernel, cdiv = _kernel()
    first, second = model.layers
    n_in, hidden, n_out = model.n_inputs, model.hidden[0], model.n_outputs
    k, h, o = _padded(n_in), _padded(hidden), _padded(n_out)
    w1 = torch.zeros(k, h, dtype=dtype, device=device)
    w1[:n_in, :hidden] = first.weight.detach().T
    w2 = torch.zeros(h, o, dtype=dtype, device=device)
    w2[:hidden, :n_out] = second.weight.detach().T
    b1 = torch.zeros(h, dtype=torch.float32, device=device)
    b1[:hidden] = first.bias.detach()
    b2 = torch.zeros(o, dtype=torch.float32, device=device)
    b2[:n_out] = second.bias.detach()
    ieee = dtype == torch.float32

    def forward(inputs: torch.Tensor) -> torch.Tensor:
        out = torch.empty(len(inputs), n_out, dtype=dtype, device=device)
        grid = (cdiv(len(inputs), BLOCK_ROWS),)
        kernel[grid](
            inputs, w1, b1, w2, b2, out, len(inputs),
            N_IN=n_in, N_OUT=n_out, IN_PAD=k, HID_PAD=h, OUT_PAD=o, BLOCK=BLOCK_ROWS,
            IEEE=ieee,
        )  # fmt: skip
        return out

    return forward
