"""The pure decision core: standard library only, time always passed in."""
