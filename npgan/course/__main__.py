"""`python -m npgan.course strip|grade ...`: the course kit's command line, which lives in npgan/cli/course.py."""
import sys

from npgan.cli.course import main

sys.exit(main())
