from inspector.cli import main

if __name__ == "__main__":  # guarded: the store writer process re-imports the main module
    import multiprocessing

    multiprocessing.freeze_support()  # in a frozen app (PyInstaller) the writer child starts here
    raise SystemExit(main())
