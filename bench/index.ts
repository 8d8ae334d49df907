console.log(JSON.stringify({ status: 'not yet' }));
