"""The course's exercises, the assignments that hold them (with points), and how one answer is checked.

    check("sigmoid_backward", sigmoid_backward)    # -> Result(name, passed, relative_error, message)

An exercise (npgan.course.checks.Exercise) is three steps, kept apart so that an answer never touches what
it is judged against:

    make(rng, **sizes)      the inputs, from a seeded generator;
    run(fn, inputs)         the answer called on copies of them: its outputs, by name;
    judge(inputs, outputs)  the outputs' shapes, then their values against central differences of the
                            pristine inputs or against npgan's implementation.

Each exercise has the check its notebook shows (`variants[0]`, seed 0) and hidden ones (other seeds,
other shapes, unequal batch sizes); `check` runs the first in this process, as the notebooks' instant
feedback, and prints the exercise's hint when it fails. The grader (npgan.course.grader) runs every
variant's `run` in a child process and `make` and `judge` in its own.

ASSIGNMENTS is the course: each notebook's exercises in order, with their points. A student's copy of a
notebook is graded on all of them, whatever the copy holds (a deleted exercise is MISSING, not absent).
Written questions are marked by hand (their answers are in the teacher's copy only).
"""
import numpy as np

from npgan.course import backprop_exercises, gan_exercises, lab_exercises, measure_exercises
from npgan.course.checks import AnswerError, Result, as_arrays, failed, show  # noqa: F401 (Result, show: API)

EXERCISES = {**backprop_exercises.EXERCISES, **gan_exercises.EXERCISES, **measure_exercises.EXERCISES,
             **lab_exercises.EXERCISES}
ASSIGNMENTS = {  # notebook: {exercise: points}, in the notebook's order
    "01_backprop_by_hand": {"linear_backward": 2, "leaky_relu_backward": 1, "sigmoid_backward": 1, "batchnorm_gx": 2,
                            "two_layer_net": 2},
    "02_algorithm1_in_1d": {"discriminator_loss": 2, "minimax_generator_loss": 1, "non_saturating_generator_loss": 1,
                            "discriminator_backward": 2, "generator_backward": 2, "adam_update": 2,
                            "optimal_discriminator": 1, "virtual_training_criterion": 2},
    "04_judging_a_gan": {"frechet_distance": 2, "classes_covered": 1, "modes_covered": 2},
    "05_gan_lab": {"generator_arrows": 2},
}
NOTEBOOKS = {notebook: tuple(exercises) for notebook, exercises in ASSIGNMENTS.items()}
POINTS = {name: points for exercises in ASSIGNMENTS.values() for name, points in exercises.items()}


def exit_status(error):
    """The status a SystemExit would have given the process (None is 0, a message is 1)."""
    return 0 if error.code is None else error.code if isinstance(error.code, int) else 1


def inputs_for(name, variant=0):
    """The inputs of one check of the exercise `name`: variant 0 is the notebook's, the others are hidden."""
    label, seed, sizes = EXERCISES[name].variants[variant]
    return EXERCISES[name].make(np.random.default_rng(seed), **sizes)


def outputs_of(name, fn, inputs):
    """The answer `fn` run on (copies of) `inputs`: its outputs as arrays, or the one-line reason why not."""
    if not callable(fn):
        return f"MISSING: no function {name} defined"
    try:
        with np.errstate(all="ignore"):
            return as_arrays(EXERCISES[name].run(fn, inputs))
    except NotImplementedError:
        return "NOT IMPLEMENTED: replace the raise NotImplementedError line"
    except AnswerError as error:
        return str(error)
    except SystemExit as error:
        return f"EXITED with status {exit_status(error)} while being checked (sys.exit)"
    except Exception as error:  # the student's code raised: report it as this exercise's failure
        return f"ERROR: {type(error).__name__}: {error}"


def judge(name, inputs, outputs):
    """The Result for outputs of the answer `name` on `inputs` (or the reason it gave none, a string)."""
    if isinstance(outputs, str):
        return failed(name, outputs)
    with np.errstate(all="ignore"):
        try:
            return EXERCISES[name].judge(inputs, outputs)
        except (ValueError, TypeError, IndexError) as error:  # numbers the reference cannot take (e.g. a NaN)
            return failed(name, f"the outputs could not be checked: {type(error).__name__}: {error}")


def check(name, fn, seed=None):
    """Grade one exercise in this process on the notebook's inputs (or those of `seed`): a Result, never an
    exception (a broken answer is a failed exercise); a wrong answer's message ends with the hint. The answer
    gets copies of the inputs; an answer that loops forever hangs it (the grader, `python -m npgan.course
    grade`, runs answers in a child process with a time limit)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}: the grader knows {', '.join(EXERCISES)}")
    exercise = EXERCISES[name]
    label, visible_seed, sizes = exercise.variants[0]
    inputs = exercise.make(np.random.default_rng(visible_seed if seed is None else seed), **sizes)
    result = judge(name, inputs, outputs_of(name, fn, inputs))
    if result.passed or result.message.startswith(("NOT IMPLEMENTED", "MISSING")):
        return result  # the hint comes after an attempt
    return result._replace(message=f"{result.message}\n      hint: {exercise.hint}")
