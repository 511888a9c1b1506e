from socketchat.cli import main

raise SystemExit(main())
