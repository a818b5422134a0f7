import sys

from wenze.cli import main

sys.exit(main())
