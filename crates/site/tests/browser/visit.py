"""Open a built site in headless Chromium over the DevTools protocol, as a visitor would.

Reads a JSON request on stdin: {"chromium": path, "site": folder, "screenshots": folder,
"visits": [{"name": ..., "page": relative path} | {"name": ..., "click": CSS selector}]}.
For each visit it loads the page (or clicks the selector on the current page and waits for the
next one), records console errors, uncaught exceptions and every request whose URL is not
file://, saves a PNG screenshot, and reads the text of every [data-headline] and [data-count]
element. Prints one JSON object: {"visits": [{"name", "url", "errors", "external_requests",
"headlines", "counts", "screenshot"}]}.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import websocket

request = json.load(sys.stdin)
profile = tempfile.mkdtemp(prefix="kaigo-chromium-")
browser = subprocess.Popen(
    [
        request["chromium"],
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1600",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "about:blank",
    ],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 60
    while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
        if time.monotonic() > deadline or browser.poll() is not None:
            raise SystemExit("Chromium did not start")
        time.sleep(0.1)
    port, path = open(port_file).read().split()[:2]
    connection = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60, suppress_origin=True)
    next_id = 0
    events = []

    def call(method, params=None, session=None):
        global next_id
        next_id += 1
        message = {"id": next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        connection.send(json.dumps(message))
        while True:
            reply = json.loads(connection.recv())
            if reply.get("id") == next_id:
                if "error" in reply:
                    raise SystemExit(f"{method}: {reply['error']}")
                return reply.get("result", {})
            events.append(reply)

    def wait_for(method, session):
        """Waits for an event, keeping every event for drain()."""
        deadline = time.monotonic() + 60
        seen = 0
        while time.monotonic() < deadline:
            for event in events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(events)
            events.append(json.loads(connection.recv()))
        raise SystemExit(f"timed out waiting for {method}")

    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ["Page", "Runtime", "Network", "Log"]:
        call(f"{domain}.enable", session=session)

    def drain():
        """Errors and non-file requests among the events so far."""
        errors, external = [], []
        for event in events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(arg.get("value", "")) for arg in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", "error"))
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith("file://"):
                    external.append(url)
        return errors, external

    read_page = """JSON.stringify({
        url: location.href,
        headlines: Object.fromEntries([...document.querySelectorAll('[data-headline]')]
            .map(e => [e.dataset.headline, e.textContent.trim()])),
        counts: Object.fromEntries([...document.querySelectorAll('[data-count]')]
            .map(e => [e.dataset.count, e.textContent.trim()])),
    })"""
    results = []
    for visit in request["visits"]:
        events.clear()
        if "page" in visit:
            url = "file://" + os.path.join(os.path.abspath(request["site"]), visit["page"])
            call("Page.navigate", {"url": url}, session)
        else:
            # An SVG link is clicked the way a mouse would: a click event on the element. The
            # click navigates, so whether the element exists is asked first.
            selector = json.dumps(visit["click"])
            found = call(
                "Runtime.evaluate",
                {"expression": f"!!document.querySelector({selector})", "returnByValue": True},
                session,
            )
            if not found["result"].get("value"):
                raise SystemExit(f"nothing matches {visit['click']}")
            call(
                "Runtime.evaluate",
                {
                    "expression": f"document.querySelector({selector}).dispatchEvent("
                    "new MouseEvent('click', {bubbles: true, cancelable: true, view: window}))"
                },
                session,
            )
        wait_for("Page.loadEventFired", session)
        # Late console messages and requests: read whatever arrives in the next moment.
        connection.settimeout(0.3)
        try:
            while True:
                events.append(json.loads(connection.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        connection.settimeout(60)
        page = json.loads(
            call("Runtime.evaluate", {"expression": read_page, "returnByValue": True}, session)["result"]["value"]
        )
        shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
        screenshot = os.path.join(request["screenshots"], visit["name"] + ".png")
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        errors, external = drain()
        results.append(
            {
                "name": visit["name"],
                "url": page["url"],
                "errors": errors,
                "external_requests": external,
                "headlines": page["headlines"],
                "counts": page["counts"],
                "screenshot": screenshot,
            }
        )
    connection.close()
    print(json.dumps({"visits": results}))
finally:
    browser.kill()
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
