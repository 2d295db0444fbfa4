"""Run brownie's command line from a project folder whose path holds a dot (``/home/jane.doe/shop``).

brownie 1.22 imports the script of ``brownie run`` under the dotted form of its absolute path, from
``sys.path`` entry ``/``: ``/home/jane.doe/shop/scripts/deploy.py`` becomes ``home.jane.doe.shop.scripts.deploy``,
which fails as soon as a folder name holds a dot. Rather than patch brownie, this runs its command with a
finder ahead of Python's own that answers exactly the names brownie builds for this folder and its
parents: the folder's dotted name is a package whose path is the folder, so the scripts load from their
files as usual, under the names brownie asks for. Used by ``./dev.sh brownie``.
"""

import sys
from importlib.machinery import ModuleSpec
from pathlib import Path


class ProjectFolderFinder:
    """Finds the packages brownie's dotted name of the working folder is made of."""

    folder = Path.cwd().resolve()
    name = ".".join(folder.parts[1:])

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname == cls.name:
            locations = [str(cls.folder)]
        elif cls.name.startswith(fullname + "."):
            locations = []
        else:
            return None
        spec = ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = locations
        return spec


if __name__ == "__main__":
    sys.meta_path.insert(0, ProjectFolderFinder)
    del sys.path[0]  # this file's folder: as with bin/brownie, no import root but the installed packages
    sys.argv[0] = "brownie"
    from brownie._cli.__main__ import main

    sys.exit(main())
