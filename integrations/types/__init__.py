"""Wire models of Orange's APIs: `carrier` (MEF Sonata), `wholesale` (TM Forum), `business`.

Shared pieces are in `common`; the token answer in `auth`; error bodies in `error`.
"""

from __future__ import annotations

from .auth import TokenResponse
from .common import Id, OrangeModel, Timestamp
from .error import EXPIRED_CREDENTIALS_CODE, ErrorBody

__all__ = ["EXPIRED_CREDENTIALS_CODE", "ErrorBody", "Id", "OrangeModel", "Timestamp", "TokenResponse"]
