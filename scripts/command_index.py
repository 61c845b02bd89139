"""Print README's "Command index" section from the click command tree (paste it over the old one):

    python scripts/command_index.py
"""
import click
from solarcli.cli import cli as root

def walk(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        path = prefix + (name,)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, path)

lines = ["## Command index", "",
         "Every command, with the first line of its `--help` (run `solar COMMAND --help` for all options).", "",
         "| command | what it does |", "|---|---|"]
for path, cmd in walk(root):
    if isinstance(cmd, click.Group):
        continue
    ctx = click.Context(cmd, info_name=path[-1])
    usage = " ".join(cmd.collect_usage_pieces(ctx)).replace("[OPTIONS]", "").strip()
    usage = usage.replace("|", "\\|")
    short = cmd.get_short_help_str(limit=110).replace("|", "\\|")
    lines.append(f"| `solar {' '.join(path)}{(' ' + usage) if usage else ''}` | {short} |")
print("\n".join(lines))
