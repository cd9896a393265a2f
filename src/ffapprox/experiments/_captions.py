"""Captions of the report's figures, by file name, and the page's style sheet."""

CAPTIONS = {
    "fig_competition.png": (
        "Competition (Muir 2018, Fig. 2b). Partition A receives input alpha and partition B "
        "1 - alpha (top, shading). Solid: exact fixed-point responses of the recurrent "
        "network; broken lines (dashed, dotted, dash-dotted in the legend's order): the "
        "feed-forward approximations. Only one partition is "
        "active at each mixture. At the exact tie the symmetric fixed point is a saddle: the "
        "solver does not report it as stable, so the solid lines have a gap there."
    ),
    "fig_decision_boundary.png": (
        "Decision boundary (Muir 2018, Fig. 3). Held-out inputs projected on the summed input "
        "to each partition. Grey: the approximation picks the recurrent network's winner; "
        "orange: it does not; light: no partition active; black crosses: inputs within 0.01 "
        "of the recurrent network's basin boundary (see fig_boundary). Dashed: the summed-"
        "input rule iota_A = iota_B, which is not the basin boundary of this network."
    ),
    "fig_boundary.png": (
        "Distance of held-out inputs to the recurrent network's basin boundary, found by "
        "moving input from partition A to partition B until the exact solver's winner "
        "changes (bisection). Grey: share of inputs in each distance band; coloured: share "
        "of each approximation's squared error. The few inputs closest to the boundary "
        "carry most of the error: the map jumps there and a ReLU network cannot."
    ),
    "fig_random.png": (
        "Random Dale's-law networks of growing size N: the share of inputs per outcome of the "
        "recurrent dynamics, the approximation's error on stable inputs, and the cost per "
        "input of the exact solver (annotated with its 99th-percentile step count) and of the "
        "approximation, whose cost does not depend on what the input does."
    ),
    "fig_noise.png": (
        "Noise rejection. Clean signals plus Gaussian noise at several levels; each method's "
        "signal is its response to the clean input and its noise the change the input noise "
        "causes. Above the dotted line the method cleans its input. For a ring, the right "
        "panel decodes the bump's position (population vector) from the raw input, the "
        "recurrent network's fixed point and the approximation."
    ),
    "fig_example.png": (
        "One noisy input from the middle noise level (top) and the responses of the recurrent "
        "network (exact fixed point) and of each approximation (bottom)."
    ),
    "fig_training.png": "Adam training of each approximation (best restart; dotted: kept epoch).",
    "fig_capacity.png": (
        "Held-out relative RMSE and winner agreement against the number of parameters of each "
        "approximation: the curve to pick an architecture from."
    ),
    "fig_cost.png": (
        "Cost. Left: integration steps the exact solver needed per held-out input, which "
        "vary with the input. Middle: settle time against the gap between the partitions' "
        "summed inputs. "
        "Right: time per input of the exact solver and of one feed-forward pass (batched)."
    ),
}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2rem auto;padding:0 1.2rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
figure{margin:1.2rem 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#444;font-size:.9rem;max-width:900px}
pre{background:#f7f7f7;padding:.8rem;overflow-x:auto;font-size:.85rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f3f6fa;border-radius:6px;
padding:.6rem 1rem;min-width:170px}.card b{display:block;font-size:1.3rem}
"""
