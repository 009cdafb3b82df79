"""Fixed user-facing texts (greetings, errors, button labels), loaded from `knowledge/ui/`."""

from __future__ import annotations

from pathlib import Path

from knowledge.yamlfile import KnowledgeError, LineDict, load_yaml


class UiTexts:
    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts)

    def values(self) -> list[str]:
        """Every text, unformatted (vocabulary for knowledge.diacritics)."""
        return list(self._texts.values())

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def text(self, key: str, **values: object) -> str:
        try:
            template = self._texts[key]
        except KeyError:
            raise KeyError(f"missing UI text {key!r} in knowledge/ui/") from None
        return template.format(**values) if values else template


def load_ui(folder: Path) -> UiTexts:
    """Merge every `*.yaml` of the folder: nested keys join with dots (`core.greeting`)."""
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path)
        if not isinstance(data, LineDict):
            raise KnowledgeError(path, 1, "expected a mapping of text keys")
        _flatten(path, data, "", texts)
    return UiTexts(texts)


def _flatten(path: Path, node: LineDict, prefix: str, out: dict[str, str]) -> None:
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, LineDict):
            _flatten(path, value, f"{full}.", out)
        elif isinstance(value, str) and value.strip():
            if full in out:
                raise KnowledgeError(path, node.line_of(key), f"text {full!r} defined twice")
            out[full] = value.strip()
        else:
            raise KnowledgeError(
                path, node.line_of(key), f"text {full!r} must be a non-empty string"
            )
