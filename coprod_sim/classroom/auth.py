"""The class's login: a class code and a first name, no password.

:class:`ClassAuthenticator` is a JupyterHub authenticator:

* the **class code** and a first name log a trainee in as that name (``"Anna B"``
  becomes the hub user ``anna-b``); the same name and code on another day is the
  same trainee, with the same folder;
* a name is one person's while their server runs: another browser asking for a
  name in use is told to add a letter of their surname (the browser that holds
  the name's login may log in again);
* a new name beyond the class's cap gets the "class is full" message;
* the **trainer's code** (any name) logs in as the trainer, who has no notebook
  server of the trainees' kind and is sent to the trainer's view.

Codes are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from typing import Any

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Integer, Unicode

from coprod_sim.classroom.codes import TRAINER, ClassError, clean_code, trainee_name

FULL_MESSAGE = ("The class is full: it takes {n} {people} at once, and they are all "
                "working now. Ask your trainer (who can start the class with a higher "
                "--max-trainees), or try again when someone has finished.")
TAKEN_MESSAGE = ("Someone in this class is using the name '{name}' right now. If that "
                 "is you on another computer, close it there first; if not, add a letter "
                 "of your surname, for example '{name} b'.")
WRONG_CODE = "That is not this class's code: check it with your trainer and try again."


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class ClassAuthenticator(Authenticator):
    """Log in with a class code and a first name (see the module's notes)."""

    class_code = Unicode("", help="The code trainees type to join the class.").tag(config=True)
    trainer_code = Unicode("", help="The code that opens the trainer's view.").tag(config=True)
    max_trainees = Integer(40, help="Most trainees working at once (the class is full "
                                    "beyond it).").tag(config=True)

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        """Check the code and name; return the hub user, or raise with a plain message."""
        code = clean_code(data.get("password", ""))
        if _same(code, clean_code(self.trainer_code)):
            return {"name": TRAINER, "admin": False}
        if not _same(code, clean_code(self.class_code)):
            raise web.HTTPError(403, WRONG_CODE)
        try:
            name = trainee_name(data.get("username", ""))
        except ClassError as err:
            raise web.HTTPError(403, str(err)) from None
        user = handler.find_user(name)
        mine = handler.current_user is not None and handler.current_user.name == name
        if user is not None and user.active and not mine:
            raise web.HTTPError(403, TAKEN_MESSAGE.format(name=name))
        if user is None or not user.active:
            working = sum(1 for u in handler.users.values()
                          if u.name != TRAINER and u.active)
            if working >= self.max_trainees:
                raise web.HTTPError(403, FULL_MESSAGE.format(
                    n=self.max_trainees, people="trainee" if self.max_trainees == 1
                    else "trainees"))
        return {"name": name, "admin": False}

    def normalize_username(self, username: str) -> str:
        """Usernames are already normalized by :meth:`authenticate`."""
        return username

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        """Every name that passed :meth:`authenticate` may use the hub."""
        return True
