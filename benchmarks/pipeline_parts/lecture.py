"""Part 1: the lecture's scripts as lecture/ holds them, each a fresh process from the copy's
root, timed as a whole, TensorFlow import included; what they print read with the copy's
lecture/run.py (the parsers `make lecture` records their figures with)."""
import sys
from importlib.util import module_from_spec, spec_from_file_location

from benchmarks.pipeline_parts.processes import check, clean_env, measure

LECTURE_SCRIPTS = ["sine.py", "sixpence_train.py", "sixpence_generate.py"]  # in lecture/, in order


def lecture_parsers(lab):
    """The copy's lecture/run.py as a module: the parsers `make lecture` reads the scripts'
    output with (importing it runs nothing)."""
    path = lab / "lecture" / "run.py"
    if not path.is_file():
        raise RuntimeError("the copy has no lecture/run.py (--source head measures the last "
                           "commit; --source worktree measures lecture/ before it is committed)")
    spec = spec_from_file_location("lecture_run", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lecture_line(script, found):
    if script == "sine.py":
        return (f"X {found['X_shape']} Y {found['Y_shape']}; mse {found['mse_before']:.4f} before "
                f"training, {found['mse_after']:.4f} after")
    if script == "sixpence_train.py":
        return (f"{found['windows']} windows, {found['params_total']:,} params; epoch "
                f"{found['last_epochs'][-1]}: loss {found['loss_last_epochs'][-1]:.4f}, accuracy "
                f"{found['accuracy_last_epochs'][-1]:.4f}")
    return " ".join(repr(text) for text in found["generated"])


def lecture_part(lab, logs, timeout, quiet=False, tag=""):
    """Part 1: the lecture's three scripts, each a fresh process from the copy's root;
    ``quiet``: print nothing (a later pair's run, ``tag`` naming its logs)."""
    parsers = lecture_parsers(lab)
    parse = {"sine.py": parsers.sine, "sixpence_train.py": parsers.sixpence_train,
             "sixpence_generate.py": parsers.sixpence_generate}
    env = {**clean_env(), "MPLBACKEND": "Agg"}  # no display: as `make lecture` runs them
    say = (lambda *a, **k: None) if quiet else print
    say("1. The lecture's scripts, each a fresh `python lecture/<script>` from the copy's root "
        "(TensorFlow import included)", flush=True)
    runs = {}
    for script in LECTURE_SCRIPTS:
        r = runs[script] = check(measure([sys.executable, f"lecture/{script}"], lab,
                                         logs / f"lecture{tag}_{script}.log", timeout, env),
                                 f"lecture/{script}")
        try:
            found = parse[script](r["out"].splitlines())
        except parsers.Failed as err:
            raise RuntimeError(str(err)) from None
        say(f"   {script:<21} {r['wall']:6.1f} s   peak RSS {r['peak_mb']:6.1f} MB   "
            f"{lecture_line(script, found)}", flush=True)
    total = sum(r["wall"] for r in runs.values())
    say(f"   {'sum':<21} {total:6.1f} s   (largest peak "
        f"{max(r['peak_mb'] for r in runs.values()):.1f} MB)\n", flush=True)
    return {"runs": runs, "total": total, "cpu": sum(r["cpu"] for r in runs.values())}
