"""Collects figures: one printed line each, and a nested dict for the JSON result."""
import json


class Figures:
    def __init__(self):
        self.data = {}

    def add(self, key, value, unit="", note=""):
        node = self.data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = round(value, 4) if isinstance(value, float) else value
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
        print(f"{key:<44} {shown:>14} {unit:<9} {note}".rstrip(), flush=True)

    def get(self, key):
        node = self.data
        for part in key.split("."):
            node = node[part]
        return node

    def json(self):
        return json.dumps(self.data, indent=2, sort_keys=False)
