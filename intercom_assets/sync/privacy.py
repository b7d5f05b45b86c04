"""Privacy at write time (like Fivetran's column hashing): personal data that a team must not
keep is hashed or dropped from each payload *before* it is transformed, so neither the columns
nor `raw` ever hold it.

`INTERCOM_PRIVACY` is a comma-separated list of:
- `hash_emails`: every author email becomes `sha256:<hex>` of the lower-cased address (plus
  `INTERCOM_PRIVACY_SALT` when set, which stops dictionary look-ups): still joinable, unreadable.
- `hash_bodies` or `drop_bodies`: message bodies (and the opening message's subject) become a
  hash (identical replies stay countable) or NULL.
- `drop_personal`: author names and emails, conversation titles, custom attributes, source
  URLs and attachments are removed.
Changing it applies to what is written from then on; re-sync (a reconcile) to rewrite history.
"""

import hashlib
import os
from dataclasses import dataclass
from typing import Any

OPTIONS = ("hash_emails", "hash_bodies", "drop_bodies", "drop_personal")
_PERSONAL_CONVERSATION_FIELDS = ("title", "custom_attributes")
_PERSONAL_MESSAGE_FIELDS = ("url", "attachments")


class PrivacyConfigError(ValueError):
    """INTERCOM_PRIVACY is invalid; the message is one line naming the fix."""


@dataclass(frozen=True)
class Privacy:
    hash_emails: bool = False
    bodies: str = "keep"  # keep | hash | drop
    drop_personal: bool = False
    salt: str = ""

    @property
    def active(self) -> bool:
        return self.hash_emails or self.bodies != "keep" or self.drop_personal

    @classmethod
    def parse(cls, raw: str, salt: str = "") -> "Privacy":
        chosen = {item.strip().lower() for item in raw.split(",") if item.strip()}
        unknown = sorted(chosen - set(OPTIONS))
        if unknown:
            raise PrivacyConfigError(
                f"INTERCOM_PRIVACY has unknown option(s) {', '.join(unknown)}; "
                f"use a comma-separated list of {', '.join(OPTIONS)}."
            )
        if {"hash_bodies", "drop_bodies"} <= chosen:
            raise PrivacyConfigError(
                "INTERCOM_PRIVACY: choose one of hash_bodies or drop_bodies, not both."
            )
        bodies = (
            "hash" if "hash_bodies" in chosen else "drop" if "drop_bodies" in chosen else "keep"
        )
        return cls("hash_emails" in chosen, bodies, "drop_personal" in chosen, salt)

    @classmethod
    def from_env(cls) -> "Privacy":
        """Read at write time, so it is the run worker's environment that decides."""
        return cls.parse(
            os.environ.get("INTERCOM_PRIVACY", ""), os.environ.get("INTERCOM_PRIVACY_SALT", "")
        )

    def digest(self, value: str) -> str:
        return "sha256:" + hashlib.sha256((self.salt + value).encode()).hexdigest()

    def scrub_all(self, conversations: list[Any]) -> list[Any]:
        return [self.scrub(c) for c in conversations] if self.active else conversations

    def scrub(self, conversation: Any) -> Any:
        """A copy of one conversation payload with the chosen fields hashed or dropped."""
        if not self.active or not isinstance(conversation, dict):
            return conversation
        clean = dict(conversation)
        if self.drop_personal:
            for name in _PERSONAL_CONVERSATION_FIELDS:
                clean.pop(name, None)
        if isinstance(clean.get("source"), dict):
            clean["source"] = self._message(clean["source"])
        container = clean.get("conversation_parts")
        if isinstance(container, dict) and isinstance(container.get("conversation_parts"), list):
            parts = [self._message(p) for p in container["conversation_parts"]]
            clean["conversation_parts"] = {**container, "conversation_parts": parts}
        return clean

    def _message(self, message: Any) -> Any:
        if not isinstance(message, dict):
            return message
        clean = dict(message)
        for name in ("body", "subject"):
            if self.bodies == "drop":
                clean.pop(name, None)
            elif self.bodies == "hash" and isinstance(clean.get(name), str) and clean[name]:
                clean[name] = self.digest(clean[name])
        if self.drop_personal:
            for name in _PERSONAL_MESSAGE_FIELDS:
                clean.pop(name, None)
        author = clean.get("author")
        if isinstance(author, dict):
            author = dict(author)
            if self.drop_personal:
                author.pop("name", None)
                author.pop("email", None)
            elif self.hash_emails and isinstance(author.get("email"), str) and author["email"]:
                author["email"] = self.digest(author["email"].strip().lower())
            clean["author"] = author
        return clean
