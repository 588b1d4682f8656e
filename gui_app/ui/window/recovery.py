"""The questions about work recovered after a crash: one at a time, and never one click from loss.

A copy found at start-up (or when its project is opened) gets one question: Recover, Keep for
later (the copy stays on disk and is offered again), or Discard…, which asks once more before the
copy is deleted. Recovered work that is open but not saved gets the same care when it is about to
be replaced: Save, Keep for later, Discard… (asked twice), or Cancel.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QMessageBox, QWidget

from gui_app.ui.window.autosave import AutosaveEntry

Button = QMessageBox.StandardButton

RECOVER = Button.Open
KEEP = Button.Ignore
DISCARD = Button.Discard
SAVE = Button.Save
CANCEL = Button.Cancel


def ask(parent: QWidget, title: str, text: str, choices: list[tuple[Button, str]], default: Button) -> Button:
    """A question with the given (button, label) choices; closing the box means the last one."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    for button, label in choices:
        box.addButton(button).setText(label)
    box.setDefaultButton(default)
    escape = choices[-1][0]
    box.setEscapeButton(escape)
    box.exec()
    clicked = box.clickedButton()
    return box.standardButton(clicked) if clicked is not None else escape


def offer(parent: QWidget, entry: AutosaveEntry, others: int) -> Button:
    """Ask what to do with a copy a crashed NetBuilder left: RECOVER, KEEP or DISCARD (confirmed)."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))
    more = f"\n\n{others} more recovered cop{'y is' if others == 1 else 'ies are'} kept for later." if others else ""
    text = (
        f"NetBuilder did not close normally. Unsaved work on “{entry.name}” from {when} was kept.\n\n"
        "Recover it now, keep it for later (it is offered again at the next start), or discard it?" + more
    )
    answer = ask(
        parent,
        "Recover unsaved work",
        text,
        [(RECOVER, "Recover"), (DISCARD, "Discard…"), (KEEP, "Keep for later")],
        RECOVER,
    )
    if answer == DISCARD and not confirm_discard(parent, entry.name):
        return KEEP
    return answer


def confirm_discard(parent: QWidget, name: str) -> bool:
    """The second question before recovered work is deleted; the safe answer is the default."""
    answer = ask(
        parent,
        "Discard recovered work",
        f"Delete the recovered work on “{name}” for good? This cannot be undone.",
        [(DISCARD, "Delete it"), (KEEP, "Keep it")],
        KEEP,
    )
    return answer == DISCARD


def ask_before_replacing(parent: QWidget, name: str) -> Button:
    """Recovered, unsaved work is about to be closed: SAVE, KEEP, DISCARD (confirmed) or CANCEL."""
    answer = ask(
        parent,
        "Recovered work is not saved",
        f"“{name}” holds work recovered after a crash that is not saved yet.\n\n"
        "Save it, or keep the recovered copy for later (it is offered again at the next start)?",
        [(SAVE, "Save"), (KEEP, "Keep for later"), (DISCARD, "Discard…"), (CANCEL, "Cancel")],
        SAVE,
    )
    if answer == DISCARD and not confirm_discard(parent, name):
        return CANCEL
    return answer
