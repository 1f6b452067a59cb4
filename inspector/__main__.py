from inspector.cli import main

if __name__ == "__main__":  # guarded: the store writer process re-imports the main module
    raise SystemExit(main())
