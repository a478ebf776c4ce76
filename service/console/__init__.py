"""The browser console under /console (contract, "Console"); see docs/console.md."""
