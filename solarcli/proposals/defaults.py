"""The ``offer:`` section ``solar init`` writes into a new solar.yaml (proposal settings)."""
from __future__ import annotations

PROPOSAL_DEFAULTS: dict = {
    "offer": {
        "language": None,          # en, de, tr, ... (default: the language of `locale`)
        "validity_days": 30,       # valid_until = proposal date + this many days
        "template": "proposal",    # on-grid template; off-grid projects use proposal-off-grid
        "cover_image": "",         # an image inside this repository for the cover
        "show_unit_prices": True,  # BOM with unit prices (false: quantities and amounts only)
        "pages": {
            "cover": True, "summary": True, "system": True, "production": True,
            "consumption": True, "flow": True, "battery": True, "bom": True, "price": True,
            "finance": True, "cash_flow": True, "environment": True, "assumptions": True,
            "terms": True, "signature": True,
        },
        # Page texts: a string, or one per language ({en: ..., de: ...}); empty = the
        # built-in text. Placeholders: {customer} {company} {valid_until} {validity_days}
        # {number} {project}.
        "texts": {"intro": "", "terms": "", "payment": "", "closing": "", "warranty": ""},
    }
}
