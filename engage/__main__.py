from engage.cli import main

main()
