"""Write locales/<lang>/LC_MESSAGES/<domain>.po from a Python dict {key: (ru, en)} (a one-off helper
for adding many texts at once; the .po files are the source of truth afterwards)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent


def main(source: str, domain: str) -> None:
    texts: dict[str, tuple[str, str]] = runpy.run_path(source)["T"]
    for index, lang in enumerate(("ru", "en")):
        catalog = Catalog(locale=lang, domain=domain, project="ccbot", fuzzy=False)
        for key, values in texts.items():
            catalog.add(key, values[index])
        path = ROOT / "locales" / lang / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fp:
            write_po(fp, catalog, width=0, omit_header=False, sort_output=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
