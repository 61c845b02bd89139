from solarcli.cli import main

main()
