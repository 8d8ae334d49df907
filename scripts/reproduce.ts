console.log('reproduce: not yet (notebooks arrive with the notebooks issue)');
