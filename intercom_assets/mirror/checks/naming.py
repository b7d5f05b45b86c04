"""How checks name what they found: id lists cut to a readable length."""


def id_list(ids: list[str], limit: int = 200) -> str:
    """Ids for metadata, comma-separated; long lists are cut with the total said."""
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} … ({len(ids)} in total)"
