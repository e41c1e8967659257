import sys

from relayroute.cli import main

sys.exit(main())
