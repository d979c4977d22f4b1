HINTS = {
    "hint.softmax_rows": {
        "en": "exponentiate (logits - max along dim) and divide by the sum along the same dim, with keepdim=True.",
        "zh": "对 (logits - 沿 dim 的最大值) 取指数，再除以沿同一 dim 的和，记得 keepdim=True。",
    },
}
