module mimo

go 1.26
