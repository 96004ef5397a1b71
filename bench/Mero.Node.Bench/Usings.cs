global using Mero.Testing;
