"""The README's screenshots of the web app, at a phone's width (375 px) and a laptop's (1280 px).

    make run                                   # in one shell: the demo data on :8000
    .venv/bin/python scripts/screenshots.py    # in another: writes docs/screenshots/*.png

Drives Debian's headless Chromium (Playwright, ``executable_path``), signed out and then as
the demo talent, and writes one PNG per page and width (the first screenful of each page).
"""

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WIDTHS = {"phone": (375, 760), "laptop": (1280, 800)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="talent@collabhub.dev")
    parser.add_argument("--password", default="collabhub-demo-2026")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{args.base}/")
            page.screenshot(path=OUT / f"landing-{name}.png")
            page.goto(f"{args.base}/sign-in/")
            page.fill("#email", args.email)
            page.fill("#password", args.password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{args.base}/")
            page.screenshot(path=OUT / f"home-{name}.png")
            page.goto(f"{args.base}/discover/?search=health")
            page.screenshot(path=OUT / f"discover-{name}.png")
            page.locator(".startup-card h2 a").first.click()
            page.wait_for_load_state()
            page.screenshot(path=OUT / f"startup-{name}.png")
            context.close()
        browser.close()
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
