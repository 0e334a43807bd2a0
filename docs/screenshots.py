"""Screenshots of the MLflow UI as a student first sees it, after `make repro`.

    .venv/bin/python docs/screenshots.py [--out docs/images]

Starts `mlflow server` on a copy of the repo's store (mlflow.db; the artifacts are read where
the runs put them), bound to 127.0.0.1 on a free port, and takes a headless Chromium screenshot
of each page below; the server is stopped afterwards and the store is left as it was. Needs
Debian's `chromium` (apt-get install chromium). Not part of `make test`: it looks, it does
not assert (tests/test_pipeline.py::test_what_the_ui_reads asserts what these pages read).

Pages: the text experiment's runs (the view its description links: the headline metrics and
the params that tell runs apart as columns), a run's overview (its description, params,
metrics), the logged Keras model's page (its metrics: the trained model's), the registered
generator, and the sine experiment's runs.

The browser reaches the server under the name lab.test (mapped to 127.0.0.1 inside Chromium
only): MLflow 3.17's UI opens its Assistant side panel by itself the first time it is loaded
from a loopback address (127.0.0.1, localhost), which would cover a third of every picture;
a student closes it once and the browser remembers.
"""
import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ML = "?workflowType=machine_learning"
"""MLflow 3's UI shows its GenAI side (traces) until one picks 'Model training' in its sidebar
(remembered by the browser); this query selects it, as `make ui`'s address does."""
HOST = "lab.test"
CHROMIUM_FLAGS = [f"--host-resolver-rules=MAP {HOST} 127.0.0.1", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1440,960",
                  "--virtual-time-budget=20000"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def mlflow_server(db, port, timeout=90):
    mlflow = Path(sys.executable).parent / "mlflow"
    proc = subprocess.Popen([str(mlflow), "server", "--backend-store-uri", f"sqlite:///{db}",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                             "--allowed-hosts", f"{HOST}:{port},127.0.0.1:{port}",
                             "--cors-allowed-origins", f"http://{HOST}:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"error: mlflow server did not start on port {port}")
                time.sleep(0.5)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def shoot(url, path, profile):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("error: chromium not found (Debian: apt-get install chromium)")
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    f"--screenshot={path}", url], check=True, capture_output=True, timeout=120)
    print(f"{path}  <- {url}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs/images"))
    args = parser.parse_args()
    store = ROOT / "mlflow.db"
    if not store.exists():
        raise SystemExit(f"error: {store} is missing: run `make repro` first")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from mlflow import MlflowClient

    from rnnlab.core.outputs import read_json
    from rnnlab.tracking.experiments import view_address

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "mlflow.db"
        shutil.copyfile(store, copy)
        with mlflow_server(copy, free_port()) as port:
            client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
            ui = f"http://{HOST}:{port}"
            text = read_json(ROOT / "runs/text_many_to_one.json")
            sine = read_json(ROOT / "runs/sine.json")
            text_exp = client.get_run(text["run_id"]).info.experiment_id
            sine_exp = client.get_run(sine["run_id"]).info.experiment_id
            pages = {
                # an experiment as the UI opens it (its kind tag makes that the runs)
                "ui-text-runs.png": f"{ui}/{view_address(text_exp)}",
                "ui-text-run.png": f"{ui}/#/experiments/{text_exp}/runs/{text['run_id']}",
                "ui-text-model.png": f"{ui}/#/experiments/{text_exp}/models/{text['models']['keras']}",
                "ui-generator.png": f"{ui}/#/models/sixpence-many-to-one",
                "ui-sine-runs.png": f"{ui}/{view_address(sine_exp)}",
            }
            for name, url in pages.items():
                shoot(url if "workflowType" in url else url + ML, out / name,
                      Path(tmp) / "chromium")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
