"""Send a trainee's bet to the class, when their notebook runs inside a class.

One call from the curriculum (:meth:`coprod_sim.curriculum.session.Kit.reveal`)::

    report.send_bet(section, moment_key, guess, attempt_number)

does nothing outside a class. Inside one, the class spawner has set
``$COPROD_CLASS_BETS_URL`` (the class service's bet address on this computer),
and the hub gave the trainee's server its own token (``$JUPYTERHUB_API_TOKEN``).
The bet goes there in the background (the notebook never waits or fails for
it), with the token in a header, never in the address. The class service asks
the hub whose token it is, so a trainee can only ever bet as themselves; it
checks the moment and the answer, keeps the first try at each moment, and works
out the model's result itself (a trainee cannot send a fake one).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import urllib.error
import urllib.request
from typing import Any

#: Set by the class spawner: where bets go.
BETS_URL_ENV = "COPROD_CLASS_BETS_URL"

#: Set by JupyterHub: the trainee's server's own token.
TOKEN_ENV = "JUPYTERHUB_API_TOKEN"

#: Seconds a bet may take to reach the class.
TIMEOUT_S = 10.0

log = logging.getLogger(__name__)


def in_class() -> bool:
    """True when this kernel runs in a class (bets are sent to the trainer)."""
    return bool(os.environ.get(BETS_URL_ENV) and os.environ.get(TOKEN_ENV))


def _payload(section: str, moment: str, guess: Any, attempt: int) -> bytes:
    if isinstance(guess, float) and not math.isfinite(guess):
        guess = None
    if guess is not None and not isinstance(guess, str | int | float):
        guess = str(guess)
    return json.dumps({"section": str(section), "moment": str(moment), "guess": guess,
                       "try": int(attempt)}).encode("utf-8")


def _post(url: str, token: str, body: bytes) -> bool:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - our hub
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError) as err:
        log.debug("the bet did not reach the class: %s", err)  # never the token
        return False


def send_bet(section: str, moment: str, guess: Any, attempt: int = 1,
             wait: bool = False) -> threading.Thread | bool | None:
    """Send one revealed bet to the class's trainer view (nothing outside a class).

    Args:
        section: The notebook's key (``"00"``).
        moment: The moment's key (``"00_usual"``).
        guess: The trainee's guess (an option's words, or a number in the slider's units).
        attempt: Which try at this moment (the class keeps the first).
        wait: Send now and return True when it arrived (the tests); otherwise send
            in the background and return the thread.

    Returns:
        None outside a class.
    """
    url, token = os.environ.get(BETS_URL_ENV), os.environ.get(TOKEN_ENV)
    if not url or not token:
        return None
    body = _payload(section, moment, guess, attempt)
    if wait:
        return _post(url, token, body)
    thread = threading.Thread(target=_post, args=(url, token, body), daemon=True,
                              name="coprod-class-bet")
    thread.start()
    return thread
