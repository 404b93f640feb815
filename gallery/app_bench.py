"""`python -m gallery bench app --users N`: a classroom on one server.

Starts `streamlit run apps/gallery_app.py` on a free localhost port, then N users at once, each a headless
Chromium (Debian's chromium and chromedriver, through Selenium) on one of the four pages in turn (classification,
emotion, style, summarisation), each uploading a file of its own (the page's example, marked with the user's
number, so no two uploads are the same bytes). It reports the results received, the errors shown, the slowest
answer per page, the first answer after the server started (cold: TensorFlow's import and the first model load
included) and the server's peak resident memory. Bounded: each user waits at most `timeout` seconds, and the
server is stopped at the end whatever happened.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from gallery.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "apps" / "examples"
# page: (example file, the XPath of its result); a user uploads its own copy of the example
PAGES = {
    "classification": ("style/cat_chelsea.jpg", "//h3[contains(., '%')]"),
    "emotion": ("style/astronaut_eileen_collins_nasa.jpg", "//*[contains(text(), 'face(s)')]"),
    "style": ("style/coffee_cup.jpg", "//*[contains(text(), 'Download the result')]"),
    "summarization": ("summarization/english_city_bikes.txt", "//*[@data-testid='stAlertContentSuccess']"),
}
FAILURES = "//*[contains(text(), 'Traceback') or contains(text(), 'Something went wrong')]"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def user_file(page, user, folder):
    """The page's example with the user's number in it (a pixel block or a sentence), as a new file."""
    source = EXAMPLES / PAGES[page][0]
    target = Path(folder) / f"user{user}_{source.name}"
    if source.suffix == ".txt":
        target.write_text(source.read_text() + f"\n\nThis copy was uploaded by user {user} of the class.\n")
    else:
        from PIL import Image

        image = Image.open(source).convert("RGB")
        image.paste((40 * user % 256, 90, 160), (0, 0, 8 + user, 8 + user))
        image.save(target, quality=90)
    return target


def resident_mb(pid):
    """Resident memory of a process and its children, in MB (from /proc)."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as children:
                pids += [int(child) for child in children.read().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def browser():
    from selenium import webdriver

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise UserError("bench app needs Chromium and its driver: apt-get install chromium chromium-driver.")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1000",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


def one_user(url, page, path, timeout, started, record):
    """Open `page`, upload `path`, wait for its result; record (page, seconds from opening, seconds since the
    server started, error or None)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver, opened = None, time.perf_counter()
    try:
        driver = browser()
        wait = WebDriverWait(driver, timeout)
        opened = time.perf_counter()
        driver.get(f"{url}/{page}")
        wait.until(ready.element_to_be_clickable((By.XPATH, "//label[contains(., 'Upload')]"))).click()
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "input[type=file]"))).send_keys(str(path))
        wait.until(lambda d: d.find_elements(By.XPATH, PAGES[page][1]) or d.find_elements(By.XPATH, FAILURES))
        failure = driver.find_elements(By.XPATH, FAILURES)
        done = time.perf_counter()
        record(page, done - opened, done - started, failure[0].text[:200] if failure else None)
    except Exception as error:  # a user who got no answer in time is an error of the run, not of the bench
        record(page, time.perf_counter() - opened, None, f"{type(error).__name__}: {str(error)[:200]}")
    finally:
        if driver is not None:
            driver.quit()


def run_app_bench(users=8, timeout=300, verbose=True):
    """Serve the gallery and let `users` users use it at once; return the figures."""
    if users < 1:
        raise UserError("--users must be at least 1.")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "apps" / "gallery_app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results, lock, peak = [], threading.Lock(), [0.0]
    stop = threading.Event()

    def watch_memory():
        while not stop.is_set():
            peak[0] = max(peak[0], resident_mb(server.pid))
            time.sleep(0.2)

    def record(*row):
        with lock:
            results.append(row)
            if verbose:
                page, seconds, _, error = row
                print(f"{page}: {'error ' + error if error else 'answered'} after {seconds:.1f} s", flush=True)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    try:
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise UserError("The Streamlit server did not start within 120 s.")
        with tempfile.TemporaryDirectory() as folder:
            pages = [list(PAGES)[user % len(PAGES)] for user in range(users)]
            threads = [threading.Thread(target=one_user, args=(url, page, user_file(page, user, folder), timeout,
                                                               started, record))
                       for user, page in enumerate(pages)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout + 120)
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    answered = [row for row in results if row[3] is None]
    slowest = {page: round(max(row[1] for row in answered if row[0] == page), 2)
               for page in PAGES if any(row[0] == page for row in answered)}
    figures = {"users": users, "answered": len(answered), "errors": users - len(answered),
               "error_messages": [row[3] for row in results if row[3]], "slowest_s": slowest,
               "first_answer_s": round(min(row[2] for row in answered), 2) if answered else None,
               "peak_rss_mb": round(peak[0])}
    if verbose:
        print(f"{figures['answered']} of {users} users answered, {figures['errors']} errors; slowest answer per page "
              f"{slowest}; first answer {figures['first_answer_s']} s after the server started; server's peak "
              f"memory {figures['peak_rss_mb']} MB")
    return figures
