"""Mutants and equivalents of the reference solution, for ``./grade.sh audit``.

MUTANTS: each one classic beginner mistake that breaks a promise of SPEC.md,
as text patches of ``solutions/`` (every ``find`` occurs exactly once in the
file). ``exercise`` is the exercise whose promise breaks, ``hint`` the catalog
key of the hint that names the mistake: the audit requires a failing hidden
check of that exercise to give it.

EQUIVALENTS: correct solutions written differently (another structure,
another order where SPEC.md leaves it open, other names). Each must keep full
marks with the hidden AND the public checks. ``files`` replaces whole modules
(paths relative to the repository root), ``patches`` edits the reference.
"""

EX01 = "ex01_gradient_descent.py"
EX02 = "ex02_data.py"
EX03 = "ex03_model.py"
EX04 = "ex04_training.py"
EX05 = "ex05_device.py"
EX06 = "ex06_experiments.py"
EX07 = "ex07_checkpoint.py"
EX08 = "ex08_capstone.py"


def mutant(id, exercise, file, patches, hint):
    return {"id": id, "exercise": exercise, "file": file, "patches": patches, "hint": hint}


MUTANTS = [
    # --- ex01: losses, the gradient, gradient descent ------------------------------------
    mutant("softmax_no_max", "ex01", EX01,
           [("exp = (logits - logits.amax(dim=dim, keepdim=True)).exp()", "exp = logits.exp()")],
           "hint.ex01_softmax_stable"),
    mutant("softmax_fixed_dim", "ex01", EX01,
           [("exp = (logits - logits.amax(dim=dim, keepdim=True)).exp()\n    return exp / exp.sum(dim=dim, keepdim=True)",
             "exp = (logits - logits.amax(dim=-1, keepdim=True)).exp()\n    return exp / exp.sum(dim=-1, keepdim=True)")],
           "hint.ex01_softmax_dim"),
    mutant("cross_entropy_summed", "ex01", EX01,
           [("return (log_sum_exp - target_logit).mean()", "return (log_sum_exp - target_logit).sum()")],
           "hint.ex01_reduce_mean"),
    mutant("cross_entropy_no_shift", "ex01", EX01,
           [("shifted = logits - logits.amax(dim=1, keepdim=True)", "shifted = logits")],
           "hint.ex01_ce_stable"),
    mutant("mse_summed", "ex01", EX01,
           [("return ((pred - target) ** 2).mean()", "return ((pred - target) ** 2).sum()")],
           "hint.ex01_reduce_mean"),
    mutant("mae_no_abs", "ex01", EX01,
           [("return (pred - target).abs().mean()", "return (pred - target).mean()")],
           "hint.ex01_mae"),
    mutant("bce_no_clamp", "ex01", EX01,
           [("p = prob.clamp(eps, 1 - eps)\n    return", "p = prob\n    return")],
           "hint.ex01_bce_clamp"),
    mutant("smooth_l1_beta_ignored", "ex01", EX01,
           [("0.5 * d**2 / beta, d - 0.5 * beta", "0.5 * d**2, d - 0.5")],
           "hint.ex01_smooth_l1_beta"),
    mutant("grad_missing_factor_2", "ex01", EX01,
           [("return 2 / n * (X.T @ residual), 2 / n * residual.sum()",
             "return 1 / n * (X.T @ residual), 1 / n * residual.sum()")],
           "hint.ex01_grad_factor"),
    mutant("grad_sign_flipped", "ex01", EX01,
           [("residual = X @ w + b - y", "residual = y - (X @ w + b)")],
           "hint.ex01_grad_sign"),
    mutant("gd_step_in_place", "ex01", EX01,
           [("return w - lr * dw, b - lr * db", "w -= lr * dw\n    b -= lr * db\n    return w, b")],
           "hint.ex01_gd_inplace"),
    mutant("fit_no_zero_grad", "ex01", EX01,
           [("                w.grad.zero_()\n                b.grad.zero_()\n", "")],
           "hint.ex01_fit_zero_grad"),
    mutant("fit_losses_before_update", "ex01", EX01,
           [("losses.append(((X @ w + b - y) ** 2).mean().item())", "losses.append(loss.item())")],
           "hint.ex01_fit_losses"),
    mutant("fit_unseeded_shuffle", "ex01", EX01,
           [("batches = torch.randperm(n, generator=g).split(batch_size)",
             "batches = torch.randperm(n).split(batch_size)")],
           "hint.ex01_fit_seed"),

    # --- ex02: Dataset and DataLoader --------------------------------------------------------
    mutant("minmax_stats_wrong_dim", "ex02", EX02,
           [("return x.amin(dim=0), x.amax(dim=0)", "return x.amin(dim=1), x.amax(dim=1)")],
           "hint.ex02_minmax_stats"),
    mutant("minmax_zero_range_nan", "ex02", EX02,
           [("return (x - lo) / torch.where(span == 0, torch.ones_like(span), span)", "return (x - lo) / span")],
           "hint.ex02_zero_range"),
    mutant("iris_labels_float", "ex02", EX02,
           [('self.y = torch.tensor([int(row["label"]) for row in rows], dtype=torch.int64)',
             'self.y = torch.tensor([int(row["label"]) for row in rows], dtype=torch.float32)')],
           "hint.ex02_item_types"),
    mutant("iris_stats_ignored", "ex02", EX02,
           [("self.x = x if stats is None else minmax_scale(x, stats)", "self.x = x")],
           "hint.ex02_scale_stats"),
    mutant("iris_unknown_split_silent", "ex02", EX02,
           [("""        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: expected 'train', 'val' or 'test'")
""", "")],
           "hint.ex02_split_error"),
    mutant("iris_missing_file_unnamed", "ex02", EX02,
           [('raise FileNotFoundError(f"iris CSV not found: {path}")', 'raise FileNotFoundError("iris CSV not found")')],
           "hint.ex02_missing_file"),
    mutant("tensor_dataset_labels_float", "ex02", EX02,
           [("torch.as_tensor(y, dtype=torch.int64)", "torch.as_tensor(y, dtype=torch.float32)")],
           "hint.ex02_tensor_dataset"),
    mutant("test_loader_shuffled", "ex02", EX02,
           [('"test": DataLoader(test_ds, batch_size=batch_size, shuffle=False)',
             '"test": DataLoader(test_ds, batch_size=batch_size, shuffle=True)')],
           "hint.ex02_only_train_shuffled"),
    mutant("train_shuffle_unseeded", "ex02", EX02,
           [("""shuffle=True,
                            generator=torch.Generator().manual_seed(seed)),""", "shuffle=True),")],
           "hint.ex02_train_seed"),
    mutant("train_drop_last", "ex02", EX02,
           [("""shuffle=True,
                            generator=""", """shuffle=True, drop_last=True,
                            generator=""")],
           "hint.ex02_no_drop"),
    mutant("steps_floor", "ex02", EX02,
           [("else math.ceil(n_samples / batch_size)", "else n_samples // batch_size")],
           "hint.ex02_steps_ceil"),

    # --- ex03: the network -----------------------------------------------------------------------
    mutant("forward_softmax", "ex03", EX03,
           [("return self.net(x.flatten(start_dim=1))", "return torch.softmax(self.net(x.flatten(start_dim=1)), dim=1)")],
           "hint.ex03_logits"),
    mutant("missing_relu", "ex03", EX03,
           [("layers += [nn.Linear(width, size), nn.ReLU()]", "layers += [nn.Linear(width, size)]")],
           "hint.ex03_relu"),
    mutant("missing_flatten", "ex03", EX03,
           [("return self.net(x.flatten(start_dim=1))", "return self.net(x)")],
           "hint.ex03_flatten"),
    mutant("dropout_missing", "ex03", EX03,
           [("""            if dropout > 0:
                layers.append(nn.Dropout(dropout))
""", "")],
           "hint.ex03_dropout_missing"),
    mutant("init_bias_not_zeroed", "ex03", EX03,
           [("""            if module.bias is not None:
                nn.init.zeros_(module.bias)
""", "")],
           "hint.ex03_init_bias"),
    mutant("init_schemes_swapped", "ex03", EX03,
           [('if scheme == "kaiming":', 'if scheme == "xavier":')],
           "hint.ex03_init_swapped"),
    mutant("init_top_level_only", "ex03", EX03,
           [("for module in model.modules():", "for module in model.children():")],
           "hint.ex03_init_all_layers"),
    mutant("init_kaiming_fan_out", "ex03", EX03,
           [('nn.init.kaiming_normal_(module.weight, nonlinearity="relu")',
             'nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")')],
           "hint.ex03_init_kaiming"),
    mutant("count_ignores_frozen", "ex03", EX03,
           [("return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
             "return sum(p.numel() for p in model.parameters())")],
           "hint.ex03_count_trainable"),
    mutant("proba_no_eval", "ex03", EX03,
           [("""    model.eval()
    with torch.no_grad():
        probs""", """    with torch.no_grad():
        probs""")],
           "hint.ex03_eval_mode"),
    mutant("proba_mode_not_restored", "ex03", EX03,
           [("""    model.train(was_training)
    return probs""", """    return probs""")],
           "hint.ex03_restore_mode"),

    # --- ex04: the training loop ------------------------------------------------------------------
    mutant("no_zero_grad", "ex04", EX04,
           [("""        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)""", """        loss = loss_fn(model(inputs), targets)""")],
           "hint.ex04_zero_grad"),
    mutant("no_model_train", "ex04", EX04,
           [("""    model.train()
    total, count = 0.0, 0""", """    total, count = 0.0, 0""")],
           "hint.ex04_train_mode"),
    mutant("step_before_backward", "ex04", EX04,
           [("""        loss.backward()
        optimizer.step()""", """        optimizer.step()
        loss.backward()""")],
           "hint.ex04_step_order"),
    mutant("last_batch_loss", "ex04", EX04,
           [("""        count += len(targets)
    return total / count
    ### END SOLUTION


def evaluate(""", """        count += len(targets)
    return loss.item()
    ### END SOLUTION


def evaluate(""")],
           "hint.ex04_last_batch_loss"),
    mutant("batch_means_unweighted", "ex04", EX04,
           [("""        total += loss.item() * len(targets)
        count += len(targets)""", """        total += loss.item()
        count += 1""")],
           "hint.ex04_weighted_mean"),
    mutant("batches_not_moved", "ex04", EX04,
           [("""        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()""", """        optimizer.zero_grad()""")],
           "hint.ex04_device_moves"),
    mutant("no_model_eval", "ex04", EX04,
           [("""    model.eval()
    total, correct, count = 0.0, 0, 0""", """    total, correct, count = 0.0, 0, 0""")],
           "hint.ex04_eval_mode"),
    mutant("evaluate_no_grad_missing", "ex04", EX04,
           [("""    with torch.no_grad():
        for inputs, targets in loader:""", """    if True:
        for inputs, targets in loader:""")],
           "hint.ex04_no_grad"),
    mutant("accuracy_averaged_over_batches", "ex04", EX04,
           [("            correct += (logits.argmax(dim=1) == targets).sum().item()",
             "            correct += (logits.argmax(dim=1) == targets).float().mean().item()"),
            ('"accuracy": correct / count}', '"accuracy": correct / len(loader)}')],
           "hint.ex04_accuracy_samples"),
    mutant("evaluate_loss_unweighted", "ex04", EX04,
           [("total += loss_fn(logits, targets).item() * len(targets)", "total += loss_fn(logits, targets).item()"),
            ('return {"loss": total / count,', 'return {"loss": total / len(loader),')],
           "hint.ex04_weighted_mean"),
    mutant("scheduler_before_epoch", "ex04", EX04,
           [("""        lr = optimizer.param_groups[0]["lr"]
        train_loss = train_one_epoch(""", """        lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        train_loss = train_one_epoch("""),
            ("""        val = evaluate(model, val_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
""", """        val = evaluate(model, val_loader, loss_fn, device)
""")],
           "hint.ex04_scheduler_step"),
    mutant("scheduler_per_batch", "ex04", EX04,
           [("""        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        val = evaluate(model, val_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
""", """        model.train()
        total, count = 0.0, 0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(targets)
            count += len(targets)
        train_loss = total / count
        val = evaluate(model, val_loader, loss_fn, device)
""")],
           "hint.ex04_scheduler_step"),
    mutant("lr_after_scheduler_step", "ex04", EX04,
           [('history["lr"].append(lr)', 'history["lr"].append(optimizer.param_groups[0]["lr"])')],
           "hint.ex04_lr_start"),
    mutant("validates_on_train_loader", "ex04", EX04,
           [("val = evaluate(model, val_loader, loss_fn, device)", "val = evaluate(model, train_loader, loss_fn, device)")],
           "hint.ex04_fit_history"),
    mutant("tensorboard_without_step", "ex04", EX04,
           [('writer.add_scalar("loss/train", train_loss, epoch)', 'writer.add_scalar("loss/train", train_loss)'),
            ('writer.add_scalar("loss/val", val["loss"], epoch)', 'writer.add_scalar("loss/val", val["loss"])'),
            ('writer.add_scalar("accuracy/val", val["accuracy"], epoch)', 'writer.add_scalar("accuracy/val", val["accuracy"])'),
            ('writer.add_scalar("lr", lr, epoch)', 'writer.add_scalar("lr", lr)')],
           "hint.ex04_tensorboard"),

    # --- ex05: CPU and GPU --------------------------------------------------------------------------
    mutant("get_device_hardcoded_cuda", "ex05", EX05,
           [("""        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_ok else "cpu")""", """        return torch.device("cuda")""")],
           "hint.ex05_device_auto"),
    mutant("get_device_no_fallback", "ex05", EX05,
           [("""    if ok:
        return device
    warnings.warn""", """    return device
    warnings.warn""")],
           "hint.ex05_device_fallback"),
    mutant("move_to_no_dict_recursion", "ex05", EX05,
           [("out[key] = move_to(value, device)", "out[key] = value")],
           "hint.ex05_move_recursive"),
    mutant("move_to_return_value_ignored", "ex05", EX05,
           [("""    if isinstance(obj, (torch.Tensor, nn.Module)):
        return obj.to(device)""", """    if isinstance(obj, (torch.Tensor, nn.Module)):
        obj.to(device)
        return obj""")],
           "hint.ex05_move_return_value"),
    mutant("to_numpy_no_detach", "ex05", EX05,
           [("return t.detach().cpu().numpy()", "return t.cpu().numpy()")],
           "hint.ex05_to_numpy"),
    mutant("fit_iris_batches_left_on_cpu", "ex05", EX05,
           [("""    history = fit(model, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), optimizer, epochs,
                  device=device)""", """    history = fit(model, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), optimizer, epochs)""")],
           "hint.ex05_fit_iris_device"),
    mutant("fit_iris_unseeded", "ex05", EX05,
           [("""    torch.manual_seed(seed)
    csv_path = iris_csv_path()""", """    csv_path = iris_csv_path()""")],
           "hint.ex05_fit_iris_seed"),

    # --- ex06: learning rates, optimizers, schedules ----------------------------------------------
    mutant("adamw_is_adam", "ex06", EX06,
           [('"adamw": (torch.optim.AdamW, {}),', '"adamw": (torch.optim.Adam, {}),')],
           "hint.ex06_adam_adamw"),
    mutant("momentum_missing", "ex06", EX06,
           [('"momentum": (torch.optim.SGD, {"momentum": 0.9}),', '"momentum": (torch.optim.SGD, {}),')],
           "hint.ex06_momentum"),
    mutant("optimizer_kw_ignored", "ex06", EX06,
           [("return cls(params, lr=lr, **{**defaults, **kw})", "return cls(params, lr=lr, **defaults)")],
           "hint.ex06_optimizer_kw"),
    mutant("scheduler_kw_ignored", "ex06", EX06,
           [("return cls(optimizer, **{**defaults, **kw})", "return cls(optimizer, **defaults)")],
           "hint.ex06_scheduler_kw"),
    mutant("step_default_wrong", "ex06", EX06,
           [('"step": (sched.StepLR, {"step_size": 50, "gamma": 0.5}),', '"step": (sched.StepLR, {"step_size": 30, "gamma": 0.1}),')],
           "hint.ex06_scheduler_defaults"),
    mutant("lr_trace_after_step", "ex06", EX06,
           [("""        trace.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()""", """        optimizer.step()
        scheduler.step()
        trace.append(float(optimizer.param_groups[0]["lr"]))""")],
           "hint.ex06_lr_trace_start"),
    mutant("run_experiment_unseeded", "ex06", EX06,
           [("""    torch.manual_seed(seed)
    model = MLP(4, [16], 3)""", """    model = MLP(4, [16], 3)""")],
           "hint.ex06_seed_model"),
    mutant("sweep_seed_not_passed", "ex06", EX06,
           [("return {lr: run_experiment(optimizer_name, lr, epochs=epochs, seed=seed) for lr in lrs}",
             "return {lr: run_experiment(optimizer_name, lr, epochs=epochs) for lr in lrs}")],
           "hint.ex06_sweep"),
    mutant("summarize_wrong_direction", "ex06", EX06,
           [("return False, -value if higher_is_better else value", "return False, value if higher_is_better else -value")],
           "hint.ex06_summarize_order"),
    mutant("summarize_nan_not_last", "ex06", EX06,
           [("""        if math.isnan(value):
            return True, 0.0
""", "")],
           "hint.ex06_summarize_nan"),

    # --- ex07: checkpoints ------------------------------------------------------------------------------
    mutant("optimizer_not_checkpointed", "ex07", EX07,
           [("""    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
""", ""),
            ('for key, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):',
             'for key, obj in (("model", model), ("scheduler", scheduler)):')],
           "hint.ex07_optimizer_state"),
    mutant("scheduler_not_restored", "ex07", EX07,
           [('for key, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):',
             'for key, obj in (("model", model), ("optimizer", optimizer)):')],
           "hint.ex07_scheduler_state"),
    mutant("rng_not_restored", "ex07", EX07,
           [("""    if "rng" in state:
        torch.set_rng_state(state["rng"].cpu())
""", "")],
           "hint.ex07_rng"),
    mutant("non_atomic_save", "ex07", EX07,
           [("    return _atomic_save(state, path)",
             "    path = Path(path)\n    path.parent.mkdir(parents=True, exist_ok=True)\n"
             "    torch.save(state, path)\n    return path")],
           "hint.ex07_atomic"),
    mutant("load_without_weights_only", "ex07", EX07,
           [("state = torch.load(path, map_location=map_location, weights_only=True)",
             "state = torch.load(path, map_location=map_location, weights_only=False)")],
           "hint.ex07_weights_only"),
    mutant("no_parent_folders", "ex07", EX07,
           [("""    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp""", """    fd, tmp""")],
           "hint.ex07_save_path"),
    mutant("missing_file_not_checked", "ex07", EX07,
           [("""    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
""", "")],
           "hint.ex07_missing"),
    mutant("corrupt_error_unnamed", "ex07", EX07,
           [('raise RuntimeError(f"cannot load checkpoint {path}: the file is corrupt, truncated or not "\n'
             '                           f"weights_only-loadable ({type(err).__name__}: {err})") from err',
             'raise RuntimeError("cannot load the checkpoint: the file is corrupt") from None')],
           "hint.ex07_corrupt"),
    mutant("load_model_not_eval", "ex07", EX07,
           [("""    model.eval()
    return model""", """    return model""")],
           "hint.ex07_load_model_eval"),
    mutant("export_whole_module", "ex07", EX07,
           [("return _atomic_save(model.state_dict(), path)", "return _atomic_save(model, path)")],
           "hint.ex07_export"),

    # --- ex08: end to end -----------------------------------------------------------------------------
    mutant("digits_not_scaled", "ex08", EX08,
           [("X = (X / 16.0).astype(np.float32)", "X = X.astype(np.float32)")],
           "hint.ex08_scale"),
    mutant("digits_not_stratified", "ex08", EX08,
           [("X, y, test_size=test_size, stratify=y, random_state=seed", "X, y, test_size=test_size, random_state=seed")],
           "hint.ex08_stratify"),
    mutant("digits_seed_ignored", "ex08", EX08,
           [("X, y, test_size=test_size, stratify=y, random_state=seed", "X, y, test_size=test_size, stratify=y, random_state=0")],
           "hint.ex08_seed"),
    mutant("digits_labels_float", "ex08", EX08,
           [("y = y.astype(np.int64)", "y = y.astype(np.float32)")],
           "hint.ex08_dtypes"),
    mutant("test_accuracy_on_train", "ex08", EX08,
           [('test_accuracy = float(evaluate(model, test_loader, loss_fn, device)["accuracy"])\n'
             '    return {"model": model, "history": history, "test_accuracy": test_accuracy}\n    ### END SOLUTION\n\n\ndef mnist_loaders(',
             'test_accuracy = float(evaluate(model, train_loader, loss_fn, device)["accuracy"])\n'
             '    return {"model": model, "history": history, "test_accuracy": test_accuracy}\n    ### END SOLUTION\n\n\ndef mnist_loaders(')],
           "hint.ex08_test_accuracy"),
    mutant("digits_sgd_instead_of_adam", "ex08", EX08,
           [("optimizer = torch.optim.Adam(model.parameters(), lr=lr)", "optimizer = torch.optim.SGD(model.parameters(), lr=lr)")],
           "hint.ex08_accuracy"),
    mutant("mnist_missing_error_unclear", "ex08", EX08,
           [("""    if missing and not download:
        raise FileNotFoundError(""", """    if missing and not download:
        raise FileNotFoundError("MNIST not found")
        raise FileNotFoundError(""")],
           "hint.ex08_mnist_missing"),
]


EQUIVALENTS = [
    # ex01: sum / count reductions, a gradient by matrix algebra, another shuffle drawn from the seed
    {"id": "losses_sum_over_count_and_rand_argsort", "files": {EX01: "tests/mutants/equivalents/ex01_gradient_descent.py"}},
    # ex02: other attribute names, numpy reading, a generator seeded in two steps, ceil by negation
    {"id": "data_other_names_and_reader", "files": {EX02: "tests/mutants/equivalents/ex02_data.py"}},
    # ex03: separate layers in an nn.ModuleList, F.relu, F.dropout(training=...), inference_mode predictions
    {"id": "mlp_modulelist_functional", "files": {EX03: "tests/mutants/equivalents/ex03_model.py"}},
    # ex04: zero_grad after step (model.zero_grad), inference_mode, counters kept in lists, lr from param_groups
    {"id": "loop_zero_grad_after_step_inference_mode", "files": {EX04: "tests/mutants/equivalents/ex04_training.py"}},
    # ex05: singledispatch move_to, cpu() before detach(), another device-selection order
    {"id": "device_singledispatch", "files": {EX05: "tests/mutants/equivalents/ex05_device.py"}},
    # ex06: if/elif optimizers, seeding before the data, summarize by splitting nan off
    {"id": "experiments_if_chain_seed_first", "files": {EX06: "tests/mutants/equivalents/ex06_experiments.py"}},
    # ex07: other checkpoint keys, NamedTemporaryFile + os.replace
    {"id": "checkpoint_other_keys", "files": {EX07: "tests/mutants/equivalents/ex07_checkpoint.py"}},
    # ex08: seed before the split, loader built before the model, evaluate by hand
    {"id": "capstone_other_order", "files": {EX08: "tests/mutants/equivalents/ex08_capstone.py"}},
    # small patches of the reference
    {"id": "softmax_divide_by_logsumexp", "patches": {EX01: [
        ("exp = (logits - logits.amax(dim=dim, keepdim=True)).exp()\n    return exp / exp.sum(dim=dim, keepdim=True)",
         "z = logits - logits.amax(dim=dim, keepdim=True)\n    return (z - z.exp().sum(dim=dim, keepdim=True).log()).exp()")]}},
    {"id": "steps_ceil_by_negation", "patches": {EX02: [
        ("return n_samples // batch_size if drop_last else math.ceil(n_samples / batch_size)",
         "if drop_last:\n        return n_samples // batch_size\n    return -(-n_samples // batch_size)")]}},
    {"id": "evaluate_inference_mode", "patches": {EX04: [
        ("    with torch.no_grad():\n        for inputs, targets in loader:",
         "    with torch.inference_mode():\n        for inputs, targets in loader:")]}},
]
