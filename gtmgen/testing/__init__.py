"""Test doubles that ship with gtmgen (the Tag Manager API emulator) for users' own CI."""
