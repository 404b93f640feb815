"""End to end in a real headless Chromium against `streamlit run` on localhost: upload, see, screenshot."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import ROOT

from gallery.app_bench import browser, free_port

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture
def server(tiny_model):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "apps" / "gallery_app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "GALLERY_MODELS_DIR": str(tiny_model.parents[1])},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")
def test_upload_in_real_chromium(server, photos):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    wait = WebDriverWait(driver, 120)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        driver.get(server + "/classification")
        wait.until(ready.presence_of_element_located((By.XPATH, "//*[contains(text(), 'Upload')]"))).click()
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "input[type=file]"))).send_keys(str(photos[0]))
        wait.until(ready.presence_of_element_located((By.XPATH, f"//*[contains(text(), '{photos[0].name}')]")))
        heading = wait.until(ready.presence_of_element_located((By.XPATH, "//h3[contains(., '%')]")))
        time.sleep(2)  # let the chart and heat map finish drawing
        driver.save_screenshot(str(ARTIFACTS / "classification_upload.png"))
        assert "%" in heading.text
        assert not driver.find_elements(By.XPATH, "//*[contains(text(), 'Traceback')]")
    finally:
        driver.quit()


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")
def test_bench_app_serves_two_users_at_once_with_the_shipped_models():
    env = {key: value for key, value in os.environ.items() if key != "GALLERY_MODELS_DIR"}
    result = subprocess.run([sys.executable, "-m", "gallery", "bench", "app", "--users", "2", "--timeout", "240",
                             "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["answered"] == 2 and figures["errors"] == 0, figures
    assert set(figures["slowest_s"]) == {"classification", "emotion"}
    assert figures["first_answer_s"] > 0 and figures["peak_rss_mb"] > 100  # a server with TensorFlow in it
