"""Students' submissions made by the tests: a stripped notebook answered with the teacher's solutions, and the
same with one mistake of a kind a class hands in (a wrong sign, a deleted exercise, an endless loop, an
answer hard-coded to the visible check's shapes)."""
import re

from npgan.course.cells import BEGIN, END, EXERCISE, strip_source

PLACEHOLDER = re.compile(r'^(?P<indent>[ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\("exercise (?P<name>\w+): '
                         r'write this part"\)\n', re.M)


def solutions(teacher_text):
    """{exercise name: [its solution's lines]} of a teacher's copy."""
    found, name, inside = {}, None, False
    for line in teacher_text.splitlines(keepends=True):
        match = EXERCISE.match(line)
        if match:
            name = match.group(1)
        if line.strip() == BEGIN:
            inside, found[name] = True, []
        elif line.strip() == END:
            inside = False
        elif inside:
            found[name].append(line)
    return found


def answered(teacher_text, change=None):
    """The student copy of `teacher_text` with every placeholder replaced by the teacher's solution, as a
    student who got everything right would hand it in; `change(name, lines) -> lines` edits one answer."""
    answers = solutions(teacher_text)

    def fill(match):
        lines = answers[match["name"]]
        return "".join(change(match["name"], lines) if change else lines)

    return PLACEHOLDER.sub(fill, strip_source(teacher_text))


def replace_in(exercise, old, new):
    """A `change` for `answered`: in the answer to `exercise`, the text `old` becomes `new` (it must be there)."""
    def change(name, lines):
        if name != exercise:
            return lines
        text = "".join(lines)
        assert old in text, f"{old!r} is not in the solution of {exercise}"
        return [text.replace(old, new, 1)]
    return change


def without_cell(text, exercise):
    """`text` (a .py notebook source) with the code cell of `exercise` deleted."""
    cells = re.split(r"(?m)^(?=# %%)", text)
    kept = [cell for cell in cells if f"# EXERCISE: {exercise}\n" not in cell]
    assert len(kept) == len(cells) - 1, exercise
    return "".join(kept)
