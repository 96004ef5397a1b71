using System.Runtime.CompilerServices;

// The tests check the text tree's internal invariants after random edits.
[assembly: InternalsVisibleTo("Mero.State.Tests")]
