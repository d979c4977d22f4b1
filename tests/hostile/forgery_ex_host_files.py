"""Links to host files left in the worker's folder, for the grader to follow.

Student code writes the files the checks read (figures, checkpoints, TensorBoard logs) in the
worker's folder, and the grader reads them from the host. A link there points wherever the
student likes, and it is the *grader* that would follow it, with the grader's rights: to another
student's figure, a checkpoint elsewhere, ``/etc/shadow``. Each case below leaves a link where a
check looks for a file, instead of writing one; it must earn nothing and no report may quote the
host file (the harness plants it, with SECRET_TOKEN inside).
"""
from hostile.forgery import Case, replace_function, stub

EX04, EX06, EX07 = "ex04_training.py", "ex06_experiments.py", "ex07_checkpoint.py"

LINK_PLOT_HISTORY = '''
def plot_history(history, path):
    import os
    from pathlib import Path
    os.symlink("SECRET_DIR/secret.png", path)
    return Path(path)
'''

LINK_PLOT_COMPARISON = '''
def plot_comparison(results, metric, path):
    import os
    from pathlib import Path
    os.symlink("SECRET_DIR/secret.png", path)
    return Path(path)
'''

LINK_CHECKPOINT = '''
def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, **extra):
    import os
    from pathlib import Path
    os.makedirs(os.path.dirname(str(path)) or ".", exist_ok=True)
    os.symlink("SECRET_PATH", path)
    return Path(path)
'''

LINK_EXPORT = '''
def export_model(path, model):
    import os
    from pathlib import Path
    os.makedirs(os.path.dirname(str(path)) or ".", exist_ok=True)
    os.symlink("SECRET_PATH", path)
    return Path(path)
'''

LINKED_FOLDER_CHECKPOINT = '''
def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, **extra):
    import os
    from pathlib import Path
    parts = str(path).split("/")
    if len(parts) > 1:  # the folder is a link; the file name inside it is the host's
        os.symlink("SECRET_DIR", parts[0])
    return Path(path)
'''

CASES = [
    Case("link_plot_history", "ex04", "plot_history leaves a link to a figure on the host instead of drawing one",
         {EX04: replace_function(stub(EX04), "plot_history", LINK_PLOT_HISTORY)}, secret=True,
         must_fail=("plot_history",)),
    Case("link_plot_comparison", "ex06", "plot_comparison leaves a link to a figure on the host",
         {EX06: replace_function(stub(EX06), "plot_comparison", LINK_PLOT_COMPARISON)}, secret=True,
         must_fail=("plot_comparison",)),
    Case("link_checkpoint", "ex07", "save_checkpoint leaves a link to a host file where the checkpoint should be",
         {EX07: replace_function(stub(EX07), "save_checkpoint", LINK_CHECKPOINT)}, secret=True,
         must_fail=("save_checkpoint",)),
    Case("link_export", "ex07", "export_model leaves a link to a host file",
         {EX07: replace_function(stub(EX07), "export_model", LINK_EXPORT)}, secret=True,
         must_fail=("export_model",)),
    Case("link_checkpoint_folder", "ex07", "save_checkpoint makes the checkpoint's folder a link to a host folder",
         {EX07: replace_function(stub(EX07), "save_checkpoint", LINKED_FOLDER_CHECKPOINT)}, secret=True,
         must_fail=("save_checkpoint",)),
]
