"""The plain pandas oracle of the feature catalog (`reference`), which the equivalence tests
hold `features.builder` equal to and the benchmarks measure the builder against. It is not
part of the installed packages: production code uses the builder."""
