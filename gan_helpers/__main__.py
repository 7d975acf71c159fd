import sys

from gan_helpers.cli import main

sys.exit(main())
