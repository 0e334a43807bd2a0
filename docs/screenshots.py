"""Screenshots of the MLflow UI as a student sees it, after `make repro`.

    .venv/bin/python docs/screenshots.py [--store mlflow.db] [--out docs/images]

Starts `mlflow server` on a copy of the store (``--store``, mlflow.db by default; artifacts
are read by the paths the store holds) on 127.0.0.1, drives one headless Chromium through the
DevTools protocol (aiohttp's WebSocket; aiohttp is in requirements.lock, through DVC) and
takes a 1440x960 screenshot of each page below: the text experiment's runs (the view its
description links), a run's overview, the logged Keras model, the registered generator, the
sine experiment's runs. Server and browser run in process groups of their own, stopped on
every exit (an error, Ctrl-C, SIGTERM, ``TOTAL`` seconds passed). Needs Debian's `chromium`.
Not part of `make test`: it looks, it does not assert (tests/test_pipeline.py::
test_what_the_ui_reads asserts what these pages read).

A runs page is taken as a student keeps it: the description's link opens the lab's view
(``viewStateShareKey=lab``) under MLflow's "You're viewing a shared view" banner; the script
presses its "Override saved view" (the view becomes the browser's own, the banner goes), folds
the sidebar, unfolds the experiment's description and widens each column whose header is cut
off ("eval_train_accu...") by dragging the header's edge.
A run's page is taken with its description unfolded ("Show more").

The browser reaches the server as lab.test (mapped to 127.0.0.1 inside Chromium only): MLflow
3.17's UI opens its Assistant side panel by itself the first time it is loaded from a loopback
address (127.0.0.1, localhost), which would cover a third of every picture.
"""
import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
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
WIDTH, HEIGHT = 1440, 960
CHROMIUM_FLAGS = [f"--host-resolver-rules=MAP {HOST} 127.0.0.1", "--headless", "--no-sandbox",
                  "--disable-gpu", "--hide-scrollbars", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", f"--window-size={WIDTH},{HEIGHT}",
                  "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
SETTLE = 2.0
"""Seconds a page is left alone once it shows what it waits for (its last requests, fonts)."""
TOTAL = 300
"""Seconds the whole run may take (some 90 s on a laptop): then everything is stopped."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, grace=20):
    """End ``proc`` and its whole process group (started with start_new_session): SIGTERM,
    then SIGKILL to whatever of the group is left after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:  # the leader and its children (uvicorn's workers)
            proc.poll()
            os.killpg(proc.pid, 0)  # ProcessLookupError once the group is empty
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextlib.contextmanager
def started(command, ready, what, timeout):
    """``command`` in a process group of its own, once ``ready()`` gives something: that;
    the group is stopped on leaving, however one leaves."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not (answer := ready()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"error: {what} did not start in {timeout} s")
            time.sleep(0.3)
        yield answer
    finally:
        stop(proc)


def health(port):
    with contextlib.suppress(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
        return True


def mlflow_server(db, artifacts, port):
    return started([str(Path(sys.executable).parent / "mlflow"), "server",
                    "--backend-store-uri", f"sqlite:///{db}", "--default-artifact-root",
                    str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                    "--allowed-hosts", f"{HOST}:{port},127.0.0.1:{port}",
                    "--cors-allowed-origins", f"http://{HOST}:{port}"],
                   lambda: health(port), "mlflow server", 90)


def chromium(profile):
    """A headless Chromium; its DevTools endpoint (on a free port), once it is open."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        raise SystemExit("error: chromium not found (Debian: apt-get install chromium)")
    port_file = Path(profile) / "DevToolsActivePort"  # Chromium writes its port there

    def endpoint():
        port = port_file.read_text().split() if port_file.exists() else None
        return port and f"127.0.0.1:{port[0]}"
    return started([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                   endpoint, "chromium", 60)


class Page:
    """One browser tab, driven by the DevTools protocol's commands."""

    def __init__(self, ws):
        self.ws, self.ids, self.waiting = ws, 0, {}
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.waiting:
                self.waiting.pop(data["id"]).set_result(data)

    async def send(self, method, **params):
        self.ids += 1
        answer = asyncio.get_running_loop().create_future()
        self.waiting[self.ids] = answer
        await self.ws.send_json({"id": self.ids, "method": method, "params": params})
        data = await asyncio.wait_for(answer, 60)
        if "error" in data:
            raise SystemExit(f"error: {method}: {data['error']}")
        return data["result"]

    async def js(self, expression):
        result = await self.send("Runtime.evaluate", expression=expression,
                                 returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise SystemExit(f"error: in the page: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def until(self, expression, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not await self.js(expression):
            if time.monotonic() > deadline:
                raise SystemExit(f"error: the page did not show {what} in {timeout} s")
            await asyncio.sleep(0.5)

    async def open(self, url, ready, what):
        await self.send("Page.navigate", url=url)
        await asyncio.sleep(1)
        await self.until(ready, what)
        await asyncio.sleep(SETTLE)

    async def drag(self, x, y, dx, steps=5):
        """Press the left button at (x, y), move it ``dx`` to the right, release it."""
        mouse = "Input.dispatchMouseEvent"
        await self.send(mouse, type="mouseMoved", x=x, y=y)
        await self.send(mouse, type="mousePressed", x=x, y=y, button="left", buttons=1,
                        clickCount=1)
        for step in range(1, steps + 1):
            await self.send(mouse, type="mouseMoved", x=x + dx * step / steps, y=y,
                            button="left", buttons=1)
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        await self.send(mouse, type="mouseReleased", x=x + dx, y=y, button="left", buttons=0,
                        clickCount=1)
        await self.send(mouse, type="mouseMoved", x=5, y=HEIGHT - 5)  # no header left hovered

    async def screenshot(self, path):
        Path(path).write_bytes(base64.b64decode(
            (await self.send("Page.captureScreenshot", format="png"))["data"]))


def text_shown(text):
    return f"document.body && document.body.innerText.includes({json.dumps(text)})"


def click(label):
    """Press the button labelled ``label``, if the page has one; whether it had."""
    return f"""(() => {{
  const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === {json.dumps(label)});
  if (b) b.click();
  return Boolean(b);
}})()"""


SIDEBAR = """document.querySelector('button[aria-label="Toggle sidebar"]').click()"""
DESCRIPTION = """document.querySelector('[data-testid="experiment-metadata-editor-edit-button"]')
  .nextElementSibling.click()"""  # the chevron beside the description's pencil
COLUMNS = """(() => {
  // The runs table's metric and param columns, left to right: their width, the width their
  // header's label needs, where their header's edge (the resize handle) is, if it is in sight.
  const shown = document.querySelector('.ag-root-wrapper').getBoundingClientRect().right;
  return [...document.querySelectorAll('.ag-header-cell[col-id]')].map(cell => {
    const id = cell.getAttribute('col-id');
    const label = cell.querySelector('[data-testid^="sort-header-"]');
    const edge = cell.querySelector('.ag-header-cell-resize');
    if (!/^(metrics|params)\\./.test(id) || !label || !edge) return null;
    const box = cell.getBoundingClientRect(), handle = edge.getBoundingClientRect();
    // the label's box clips a long label ("eval_train_accu"): the right end of what it holds
    // (the whole label, a sort arrow), and its padding
    const clip = label.parentElement;
    const ends = [...clip.querySelectorAll('*')].map(e => e.getBoundingClientRect().right);
    const pad = parseFloat(getComputedStyle(clip).paddingRight) || 0;
    return {id, left: box.left, width: box.width, needs: Math.ceil(Math.max(...ends) - box.left + pad + 4),
            x: handle.left + 2,  // its right half is under the next header
            y: handle.top + handle.height / 2};
  }).filter(c => c && c.x < shown).sort((a, b) => a.left - b.left);
})()"""


async def keep_view(page):
    """Adopt the shared view the page shows as the browser's own (no banner), fold the
    sidebar, unfold the experiment's description, and widen each metric's and param's column
    in sight to its header's label (a metric's values are long floats, cut at any width): a
    drag of its header's edge, as a student would; the run's own columns keep MLflow's."""
    await page.until(text_shown("Override saved view"), "the shared view's banner")
    if not await page.js(click("Override saved view")):
        raise SystemExit("error: no 'Override saved view' button")
    await page.until(f"!({text_shown('viewing a shared view')})", "the banner gone")
    await page.until(f"!({text_shown('Your saved view was overridden')})",
                     "the override's notice gone", timeout=30)
    await page.js(SIDEBAR)
    await page.js(DESCRIPTION)
    await asyncio.sleep(1)
    done = set()
    for _ in range(40):  # each drag moves the columns right of it: measure again
        todo = [c for c in await page.js(COLUMNS) if c["id"] not in done
                and c["needs"] > c["width"] + 2]
        if not todo:
            break
        await page.drag(todo[0]["x"], todo[0]["y"], todo[0]["needs"] - todo[0]["width"])
        done.add(todo[0]["id"])
        await asyncio.sleep(0.3)
    await asyncio.sleep(SETTLE)


async def shoot_all(devtools, pages, out):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://{devtools}/json/list") as answer:
            target = next(t for t in await answer.json() if t["type"] == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.send("Page.enable")
            await page.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT,
                            deviceScaleFactor=1, mobile=False)
            for name, (url, ready, what, runs_table) in pages.items():
                await page.open(url, ready, what)
                if runs_table:
                    await keep_view(page)
                elif await page.js(click("Show more")):  # a run's description, unfolded
                    await asyncio.sleep(SETTLE)
                await page.screenshot(out / name)
                if runs_table:  # the sidebar back, for the other pages
                    await page.js(SIDEBAR)
                print(f"{out / name}  <- {url}")
            page.reader.cancel()


def give_up(signum, frame):
    """SIGALRM (``TOTAL`` passed) or SIGTERM: an exception, so that every ``finally`` runs."""
    raise SystemExit(f"error: stopped by {signal.Signals(signum).name} (TOTAL: {TOTAL} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=str(ROOT / "mlflow.db"),
                        help="the MLflow store (SQLite file) to copy and show")
    parser.add_argument("--out", default=str(ROOT / "docs/images"))
    args = parser.parse_args()
    store = Path(args.store).resolve()
    if not store.exists():
        raise SystemExit(f"error: {store} is missing: run `make repro` first")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, give_up)
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(TOTAL)

    from mlflow import MlflowClient

    from rnnlab.core.outputs import read_json
    from rnnlab.tracking.experiments import view_address

    with tempfile.TemporaryDirectory() as tmp:
        copy, port = Path(tmp) / "mlflow.db", free_port()
        shutil.copyfile(store, copy)
        with mlflow_server(copy, Path(tmp) / "mlartifacts", port):
            client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
            ui = f"http://{HOST}:{port}"
            text = read_json(ROOT / "runs/text_many_to_one.json")
            sine = read_json(ROOT / "runs/sine.json")
            text_exp = client.get_run(text["run_id"]).info.experiment_id
            sine_exp = client.get_run(sine["run_id"]).info.experiment_id
            rows = "document.querySelectorAll('.ag-center-cols-container .ag-row').length > 0"
            pages = {  # name: address, what shows it is loaded, the runs table or not
                "ui-text-runs.png": (f"{ui}/{view_address(text_exp)}", rows, "runs", True),
                "ui-text-run.png": (f"{ui}/#/experiments/{text_exp}/runs/{text['run_id']}{ML}",
                                    text_shown("About this run"), "the run", False),
                "ui-text-model.png": (
                    f"{ui}/#/experiments/{text_exp}/models/{text['models']['keras']}{ML}",
                    text_shown("About this logged model"), "the model", False),
                "ui-generator.png": (f"{ui}/#/models/sixpence-many-to-one{ML}",
                                     text_shown("Version 1"), "the versions", False),
                "ui-sine-runs.png": (f"{ui}/{view_address(sine_exp)}", rows, "runs", True),
            }
            with chromium(Path(tmp) / "chromium") as devtools:
                asyncio.run(shoot_all(devtools, pages, out))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
