"""A class served with JupyterHub: ``coprod-sim class`` (needs ``coprod-sim[class]``).

Modules:

* :mod:`~coprod_sim.classroom.cli`: the command (prints the address, codes and QR code).
* :mod:`~coprod_sim.classroom.config`: the hub's configuration.
* :mod:`~coprod_sim.classroom.auth`: login with a class code and a first name.
* :mod:`~coprod_sim.classroom.spawner`: each trainee's JupyterLab in their own folder.
* :mod:`~coprod_sim.classroom.sandbox`: Landlock fence and memory ceiling per server.
* :mod:`~coprod_sim.classroom.limits`: most kernels per trainee.
* :mod:`~coprod_sim.classroom.guard`: nothing outlives the hub.
* :mod:`~coprod_sim.classroom.service`: the trainer's view and the bets' door.
* :mod:`~coprod_sim.classroom.report`: the one call that sends a notebook's bet.
* :mod:`~coprod_sim.classroom.proxy`: JupyterHub's proxy from npm, kept by the kit.

Only :mod:`report`, :mod:`codes`, :mod:`guard` and :mod:`sandbox` import without
JupyterHub; this package's ``__init__`` imports nothing.
"""
