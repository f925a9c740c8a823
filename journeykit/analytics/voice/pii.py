"""Masking of personal data in texts: e-mail addresses, phone numbers, IBANs and
payment-card numbers.

The rule lives in :mod:`journeykit.core.privacy` (one rule for every layer: problem
messages in ``core`` use it too); this module is its home in the voice-of-the-customer
API, where ``jk.mask_pii`` comes from.

Example:
    >>> mask_pii("Call +31 6 12345678 or mail jan@example.com about order #12345")
    'Call [phone] or mail [email] about order #12345'
"""

from __future__ import annotations

from journeykit.core.privacy import mask_frame, mask_pii

__all__ = ["mask_frame", "mask_pii"]
