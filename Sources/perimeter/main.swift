import PerimeterApp
PerimeterCommandLine.main()
