"""The notebooks' exercises: check, hint and solution, run against live clients.

One module per notebook (``rooms`` for 02 and 03, ``emits`` for 04, ``delivery``
for 05, ``nodes`` for 06, ``diagram`` for 07, ``classroom`` for 08) and the
``scaffold`` they share: ``Exercise``, ``Outcome`` and the receiver comparison.
Nothing outside this package imports it; a notebook imports the module of its
own lesson, e.g. ``from chatlib.exercises.rooms import goodbye``.
"""
