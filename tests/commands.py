"""Running a command line's `main(argv)` in the test's own process, the way a user's shell sees it."""


def run_main(main, argv, capture):
    """(exit status, stdout, stderr) of `main(argv)`, argparse's SystemExit included (`capture`: pytest's
    capsys or capfd). A traceback on stderr fails the test: it would be a bug in npgan, never the user's
    mistake."""
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    out, err = capture.readouterr()
    assert "Traceback" not in err, err
    return code, out, err
